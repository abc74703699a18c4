/**
 * The raw-Temporal baseline: the shape of one datahost order (from its recorded history: 14
 * activities in the main flow, 9 updates each running one activity) with activities that do
 * nothing. What is left is Temporal's own cost for the same number of steps.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export const step = defineUpdate<number, [number]>('step');

export async function baselineOrder(mainActivities: number, updates: number): Promise<number> {
  let done = 0;
  setHandler(step, async (n) => {
    await noop();
    done++;
    return n;
  });
  for (let i = 0; i < mainActivities; i++) await noop();
  await condition(() => done >= updates);
  return done;
}
