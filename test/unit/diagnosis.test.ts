/**
 * The diagnosis rules on facts as Temporal reports them, including the moments a real run shows
 * only briefly (an attempt past its heartbeat timeout before the server ends it) or never in a
 * test's time (a last attempt, a task nobody takes). test/api/diagnosis.test.ts shows them live.
 */
import { describe, expect, it } from 'vitest';
import {
  diagnoseActivity,
  diagnoseWorkflowTaskTimeouts,
  nextDeadline,
  type ActivityFacts,
  type WorkflowTaskEvent,
} from '../../api/diagnosis.js';

const now = new Date('2026-11-23T12:00:00.000Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const activity = (o: Partial<ActivityFacts>): ActivityFacts => ({
  activityId: '7',
  activityType: 'activatePhase',
  state: 'started',
  attempt: 1,
  maximumAttempts: 5,
  scheduledTime: ago(120),
  lastStartedTime: ago(120),
  lastHeartbeatTime: null,
  nextAttemptScheduleTime: null,
  lastFailure: null,
  lastTimeout: null,
  worker: '123@host',
  heartbeatTimeoutMs: null,
  startToCloseTimeoutMs: 600_000,
  ...o,
});

describe('an activity', () => {
  it('running past its heartbeat timeout since its last heartbeat: its worker is probably gone, the server times it out next', () => {
    const f = diagnoseActivity(activity({ lastHeartbeatTime: ago(15), heartbeatTimeoutMs: 10_000 }), now);
    expect(f).toMatchObject({
      kind: 'activitySilent',
      startedAt: ago(120),
      lastHeartbeatAt: ago(15),
      heartbeatTimeoutSeconds: 10,
      timesOutAt: ago(5),
      retried: true,
    });
    expect(f!.sentence).toBe(
      'activity activatePhase (7): its last heartbeat was at 2026-11-23T11:59:45.000Z (attempt 1, started 2026-11-23T11:58:00.000Z ' +
        'on worker 123@host, heartbeat timeout 10 s): its worker is probably gone; ' +
        'it is retried once its heartbeat timeout runs out at 2026-11-23T11:59:55.000Z',
    );
  });

  it('asked to cancel, as by an order cancelled mid-activation, and silent: the cancel waits on a worker that is probably gone', () => {
    const f = diagnoseActivity(activity({ state: 'cancelRequested', lastHeartbeatTime: ago(30), heartbeatTimeoutMs: 10_000 }), now);
    expect(f).toMatchObject({ kind: 'activitySilent', timesOutAt: ago(20) });
  });

  it('heard from within its heartbeat timeout, or silent for less than the allowed silence: nothing to say', () => {
    expect(diagnoseActivity(activity({ lastHeartbeatTime: ago(5), heartbeatTimeoutMs: 10_000 }), now)).toBeNull();
    expect(diagnoseActivity(activity({ lastStartedTime: ago(30) }), now, 60_000)).toBeNull();
  });

  it('silent on its last attempt: its timeout ends the activity, no retry follows', () => {
    const f = diagnoseActivity(activity({ attempt: 5, maximumAttempts: 5 }), now, 60_000);
    expect(f).toMatchObject({ kind: 'activitySilent', retried: false, timesOutAt: new Date(ago(120).getTime() + 600_000) });
    expect(f!.sentence).toMatch(/its start-to-close timeout at 2026-11-23T12:08:00.000Z ends its last attempt$/);
  });

  it('timed out on start-to-close and waiting for a worker: gone, or the call outlasted its timeout', () => {
    const f = diagnoseActivity(
      activity({ state: 'scheduled', attempt: 2, lastTimeout: 'startToClose', scheduledTime: ago(90), nextAttemptScheduleTime: ago(90) }),
      now,
    );
    expect(f).toMatchObject({ kind: 'activityTimedOut', timeout: 'startToClose', nextAttemptAt: ago(90) });
    expect(f!.sentence).toBe(
      'activity activatePhase (7): attempt 1 timed out on its start-to-close timeout on worker 123@host: its worker is probably gone ' +
        '(or the call outlasted its timeout); attempt 2 waits for a worker since 2026-11-23T11:58:30.000Z',
    );
  });

  it('scheduled and taken by no worker for longer than the allowed silence', () => {
    const f = diagnoseActivity(activity({ state: 'scheduled', lastStartedTime: null, scheduledTime: ago(300) }), now, 60_000);
    expect(f).toMatchObject({ kind: 'activityNotStarted', scheduledAt: ago(300) });
    expect(diagnoseActivity(activity({ state: 'scheduled', lastStartedTime: null, scheduledTime: ago(30) }), now, 60_000)).toBeNull();
  });

  it('failing and retried: the attempt, the last failure and when the next attempt starts', () => {
    const f = diagnoseActivity(
      activity({
        state: 'scheduled',
        attempt: 3,
        lastFailure: { message: 'activation system unavailable', type: 'ActivationUnavailable' },
        nextAttemptScheduleTime: new Date(now.getTime() + 4_000),
      }),
      now,
    );
    expect(f).toMatchObject({ kind: 'activityRetrying', attempt: 3 });
    expect(f!.sentence).toBe(
      'activity activatePhase (7) is on attempt 3, last failure: activation system unavailable; next attempt at 2026-11-23T12:00:04.000Z',
    );
  });
});

describe('workflow task timeouts', () => {
  const at = (s: number) => new Date(now.getTime() + s * 1000);
  const history: WorkflowTaskEvent[] = [
    { event: 'scheduled', eventId: 2, at: at(0), taskQueue: 'orders', sticky: false },
    { event: 'started', eventId: 3, at: at(0), identity: 'a@host', scheduledEventId: 2 },
    { event: 'completed', eventId: 4, at: at(1), identity: 'a@host', scheduledEventId: 2 },
    { event: 'scheduled', eventId: 6, at: at(5), taskQueue: 'a@host-sticky', sticky: true },
    { event: 'started', eventId: 7, at: at(5), identity: 'a@host', scheduledEventId: 6 },
    { event: 'timedOut', eventId: 8, at: at(15), scheduledEventId: 6, timeout: 'startToClose' },
    { event: 'scheduled', eventId: 9, at: at(15), taskQueue: 'orders', sticky: false },
  ];

  it('a worker that took the task and never completed it: it died mid-task', () => {
    const f = diagnoseWorkflowTaskTimeouts(history);
    expect(f).toMatchObject({ kind: 'workflowTaskTimedOut', timeout: 'startToClose', worker: 'a@host', times: 1, takenOverAt: null });
    expect(f!.sentence).toBe(
      'workflow task timed out at 2026-11-23T12:00:15.000Z: worker a@host took it at 2026-11-23T12:00:05.000Z and never completed it: ' +
        'that worker probably died mid-task; no worker has taken the run over yet',
    );
  });

  it('taken over by another worker, the finding says by whom and when', () => {
    const f = diagnoseWorkflowTaskTimeouts([
      ...history,
      { event: 'started', eventId: 10, at: at(20), identity: 'b@host', scheduledEventId: 9 },
      { event: 'completed', eventId: 11, at: at(21), identity: 'b@host', scheduledEventId: 9 },
    ]);
    expect(f).toMatchObject({ takenOverAt: at(21), takenOverBy: 'b@host' });
    expect(f!.sentence).toMatch(/; worker b@host took the run over at 2026-11-23T12:00:21.000Z$/);
  });

  it('none in the history: nothing to say', () => {
    expect(diagnoseWorkflowTaskTimeouts(history.slice(0, 3))).toBeNull();
  });
});

it('the next deadline is the earliest still to come', () => {
  const d = (name: string, s: number) => ({ name, at: new Date(now.getTime() + s * 1000) });
  expect(nextDeadline([d('passed', -1), null, d('later', 60), d('sooner', 30)], now)).toEqual(d('sooner', 30));
  expect(nextDeadline([d('passed', -1), undefined], now)).toBeNull();
});
