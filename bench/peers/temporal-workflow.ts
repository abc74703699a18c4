/** The order shape on raw Temporal: one activity per step, an update per event. */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import { eventAfter, steps } from './shape.js';

const { writeStep } = proxyActivities<{ writeStep(orderId: string, step: number): Promise<void> }>({
  startToCloseTimeout: '30 seconds',
});

/** Answers once the workflow waited for the event and took it. */
export const eventUpdate = defineUpdate<void, [number]>('event');

export async function peerOrder(orderId: string): Promise<void> {
  let waitingFor = 0;
  let received = 0;
  setHandler(eventUpdate, async (n) => {
    await condition(() => waitingFor === n);
    received = n;
  });
  for (let step = 1; step <= steps; step++) {
    await writeStep(orderId, step);
    const event = eventAfter(step);
    if (event) {
      waitingFor = event;
      await condition(() => received === event);
    }
  }
}
