/**
 * Workflows that exist only for tests: they exercise what every real workflow has (activities
 * with retries, a signal, updates, a timer, a `state` query) so the platform's generic parts can
 * be tested before and apart from any business workflow. Bundled together with the real ones.
 */
import * as wf from '@temporalio/workflow';
import type { TestActivities } from './activities.js';

export * from '../../workflows/index.js';

const { recordStep } = wf.proxyActivities<TestActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
});
const { callActivationSystem } = wf.proxyActivities<TestActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 1 },
});

export const proceed = wf.defineSignal<[string]>('proceed');
export const addNote = wf.defineUpdate<string[], [string]>('addNote');
export const holdNote = wf.defineUpdate<string[], [string]>('holdNote');
/** Accepted, then failed by its handler: what a repeated update id gets after a failed update. */
export const failNote = wf.defineUpdate<string[], [string]>('failNote');
export const stateQuery = wf.defineQuery<{ status: string; notes: string[]; proceededBy: string | null }>('state');

/** Activity (failing once), signal, updates and a timer, in that order. */
export async function inspectionSubject(): Promise<string> {
  let status = 'starting';
  let proceededBy: string | null = null;
  const notes: string[] = [];
  wf.setHandler(stateQuery, () => ({ status, notes, proceededBy }));
  wf.setHandler(proceed, (who) => void (proceededBy = who));
  wf.setHandler(
    addNote,
    (note) => {
      notes.push(note);
      return notes;
    },
    { validator: (note) => void (note.trim() === '' && fail('a note must not be empty')) },
  );
  wf.setHandler(failNote, (note) => {
    throw wf.ApplicationFailure.nonRetryable(`${note} is not taken`, 'NOTE_REFUSED');
  });
  // Held until the signal: shows an update that was accepted but has not finished.
  wf.setHandler(holdNote, async (note) => {
    await wf.condition(() => proceededBy !== null);
    notes.push(note);
    return notes;
  });

  status = 'recording';
  await recordStep('first');
  status = 'waiting';
  await wf.condition(() => proceededBy !== null);
  status = 'sleeping';
  await wf.sleep('1s');
  await wf.condition(wf.allHandlersFinished);
  status = 'done';
  return notes.join(',');
}

function fail(message: string): never {
  throw new Error(message);
}

const { slowStep } = wf.proxyActivities<TestActivities>({ startToCloseTimeout: '1 minute', heartbeatTimeout: '10 seconds' });

/** One long activity: for shutting a worker down while it runs. */
export async function slowSubject(ms: number): Promise<string> {
  return slowStep(ms);
}

/** Never gets past an activity that keeps failing: what a stuck run looks like. No `state` query. */
export async function stuckSubject(): Promise<void> {
  await callActivationSystem();
}

/** A 24-hour deadline: `met` when the signal comes in time, `missed` otherwise. */
export async function deadlineSubject(): Promise<'met' | 'missed'> {
  let signalled = false;
  wf.setHandler(proceed, () => void (signalled = true));
  return (await wf.condition(() => signalled, '24 hours')) ? 'met' : 'missed';
}

const { hangingStep } = wf.proxyActivities<TestActivities>({ startToCloseTimeout: '10 minutes', retry: { maximumAttempts: 3 } });
const { beatingStep } = wf.proxyActivities<TestActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 seconds',
  // Long enough that the retry after the heartbeat timeout is still to come when the test looks.
  retry: { initialInterval: '10 minutes', maximumAttempts: 3 },
});

/**
 * For killing the worker that runs it: with `hang`, one call that never heartbeats and one that
 * heartbeats until its worker dies; then it waits for two `proceed` signals (each a workflow task).
 */
export async function lostWorkerSubject(o: { hang: boolean }): Promise<number> {
  let signals = 0;
  wf.setHandler(proceed, () => void signals++);
  wf.setHandler(stateQuery, () => ({ status: o.hang ? 'calling' : 'waiting', notes: [], proceededBy: null }));
  if (o.hang) await Promise.all([hangingStep(), beatingStep()]);
  await wf.condition(() => signals >= 2);
  return signals;
}
