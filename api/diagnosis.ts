/**
 * Why a run is stuck, as findings: each has a `kind` and the facts a program reads, and a
 * `sentence` a support engineer reads. This module judges what Temporal reports (pending
 * activities, workflow task timeouts in the history); whom a business process waits on is
 * api/waiting.ts. Pure functions of their facts and the time, so every rule is shown in a unit test.
 */
import { z } from 'zod';

export const failureView = z
  .object({ message: z.string(), type: z.string().optional(), cause: z.string().optional() })
  .meta({ id: 'FailureSummary' });
export type FailureView = z.infer<typeof failureView>;

export const deadlineView = z
  .object({ name: z.string().describe('What happens then, e.g. "escalation to level 1 (billing-coordination)"'), at: z.date() })
  .meta({ id: 'Deadline' });
export type Deadline = z.infer<typeof deadlineView>;

const sentence = z.string().describe('The finding in plain words; also listed in `diagnosis`');
const activity = { activityId: z.string(), activityType: z.string(), attempt: z.number(), maximumAttempts: z.number() };
const timeoutKinds = ['heartbeat', 'startToClose', 'scheduleToStart', 'scheduleToClose'] as const;
export type TimeoutKind = (typeof timeoutKinds)[number];

const taskLastAction = z.object({ action: z.string(), actor: z.string(), at: z.date() });

export const finding = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('activityRetrying'),
      sentence,
      ...activity,
      lastFailure: failureView.nullable(),
      nextAttemptAt: z.date().nullable(),
    }),
    z
      .object({
        kind: z.literal('activitySilent'),
        sentence,
        ...activity,
        startedAt: z.date().nullable(),
        lastHeartbeatAt: z.date().nullable(),
        heartbeatTimeoutSeconds: z.number().nullable(),
        worker: z.string().nullable().describe('The identity of the worker that took the attempt'),
        timesOutAt: z.date().nullable().describe('When the server times the attempt out (its heartbeat or start-to-close timeout)'),
        retried: z.boolean().describe('Whether another attempt follows the timeout'),
      })
      .describe('An attempt runs with no heartbeat for longer than it may: its worker is probably gone'),
    z
      .object({
        kind: z.literal('activityTimedOut'),
        sentence,
        ...activity,
        timeout: z.enum(timeoutKinds),
        lastHeartbeatAt: z.date().nullable(),
        worker: z.string().nullable(),
        nextAttemptAt: z.date().nullable(),
      })
      .describe('The last attempt timed out, as when its worker is gone; the next one waits'),
    z
      .object({
        kind: z.literal('activityNotStarted'),
        sentence,
        ...activity,
        scheduledAt: z.date(),
      })
      .describe('Scheduled, not in a retry backoff, and no worker has taken it'),
    z.object({ kind: z.literal('workflowTaskFailing'), sentence, attempt: z.number(), lastFailure: failureView.nullable() }),
    z.object({
      kind: z.literal('workflowTaskTimedOut'),
      sentence,
      at: z.date().describe('The last timeout in this run'),
      times: z.number().describe('Workflow task timeouts in this run'),
      timeout: z.enum(['scheduleToStart', 'startToClose']),
      taskQueue: z.string(),
      sticky: z.boolean().describe('The queue was the sticky queue of the worker that held the run in its cache'),
      worker: z.string().nullable().describe('The worker that held the task (or the run) and did not answer'),
      takenOverAt: z.date().nullable().describe('When a worker completed a workflow task after the timeout'),
      takenOverBy: z.string().nullable(),
    }),
    z.object({ kind: z.literal('noWorker'), sentence, taskQueue: z.string() }),
    z.object({ kind: z.literal('updateInProgress'), sentence, updateId: z.string(), name: z.string(), acceptedAt: z.date().nullable() }),
    z.object({
      kind: z.literal('waitingForCustomer'),
      sentence,
      customerId: z.string().nullable(),
      awaiting: z.string().describe('What the customer is to do'),
      since: z.date().nullable(),
      nextDeadline: deadlineView.nullable(),
    }),
    z.object({
      kind: z.literal('waitingForTask'),
      sentence,
      taskId: z.string(),
      taskKind: z.string(),
      title: z.string(),
      group: z.string(),
      assignee: z.string().nullable().describe('Who claimed it (an API key id); null while nobody has'),
      status: z.string(),
      since: z.date().describe('When the task was opened'),
      dueAt: z.date().nullable(),
      lastAction: taskLastAction.nullable(),
      nextDeadline: deadlineView.nullable(),
    }),
    z.object({
      kind: z.literal('waitingForBilling'),
      sentence,
      rfbId: z.string(),
      since: z.date().nullable(),
      nextDeadline: deadlineView.nullable(),
    }),
    z
      .object({
        kind: z.literal('waitingForParties'),
        sentence,
        affected: z.number(),
        responded: z.number(),
        since: z.date().nullable().describe('When the last notice went out'),
        nextDeadline: deadlineView.nullable(),
      })
      .describe("A recall's notified customers, until enough of them answer"),
    z.object({ kind: z.literal('waiting'), sentence }),
  ])
  .meta({ id: 'DiagnosisFinding' });
export type Finding = z.infer<typeof finding>;

export const iso = (d: Date) => d.toISOString();

/** The earliest deadline still to come, or null. */
export function nextDeadline(candidates: (Deadline | null | undefined)[], now: Date): Deadline | null {
  return (
    candidates.filter((d): d is Deadline => !!d && d.at.getTime() > now.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime())[0] ??
    null
  );
}

export const deadlineWords = (d: Deadline | null) => (d ? `next deadline: ${d.name} at ${iso(d.at)}` : 'no deadline running');

/** A pending activity as describe() and its ActivityTaskScheduled event tell it. */
export interface ActivityFacts {
  activityId: string;
  activityType: string;
  state: string;
  attempt: number;
  maximumAttempts: number;
  scheduledTime: Date | null;
  lastStartedTime: Date | null;
  lastHeartbeatTime: Date | null;
  nextAttemptScheduleTime: Date | null;
  lastFailure: FailureView | null;
  /** Which timeout ended the last attempt, when one did. */
  lastTimeout: TimeoutKind | null;
  worker: string | null;
  heartbeatTimeoutMs: number | null;
  startToCloseTimeoutMs: number | null;
}

/**
 * Without a heartbeat timeout the SDK sends heartbeats at most every 30 s (its default throttle),
 * so only a silence well past that says something.
 */
export const defaultSilentActivityMs = 60_000;

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const timeoutWords: Record<TimeoutKind, string> = {
  heartbeat: 'heartbeat',
  startToClose: 'start-to-close',
  scheduleToStart: 'schedule-to-start',
  scheduleToClose: 'schedule-to-close',
};

export function diagnoseActivity(a: ActivityFacts, now: Date, silentActivityMs = defaultSilentActivityMs): Finding | null {
  const name = `activity ${a.activityType} (${a.activityId})`;
  const base = { activityId: a.activityId, activityType: a.activityType, attempt: a.attempt, maximumAttempts: a.maximumAttempts };
  const retried = a.maximumAttempts === 0 || a.attempt < a.maximumAttempts;

  // An attempt asked to cancel still runs until its worker answers (or is found gone).
  if (a.state === 'started' || a.state === 'cancelRequested') {
    const silentSince = a.lastHeartbeatTime ?? a.lastStartedTime;
    const allowedMs = a.heartbeatTimeoutMs ?? silentActivityMs;
    if (silentSince && now.getTime() - silentSince.getTime() > allowedMs) {
      const timeouts = [
        a.heartbeatTimeoutMs !== null ? { which: 'heartbeat', at: silentSince.getTime() + a.heartbeatTimeoutMs } : null,
        a.startToCloseTimeoutMs !== null && a.lastStartedTime
          ? { which: 'start-to-close', at: a.lastStartedTime.getTime() + a.startToCloseTimeoutMs }
          : null,
      ]
        .filter((t) => t !== null)
        .sort((x, y) => x.at - y.at);
      const first = timeouts[0];
      const timesOutAt = first ? new Date(first.at) : null;
      const heard = a.lastHeartbeatTime ? `its last heartbeat was at ${iso(a.lastHeartbeatTime)}` : 'it has sent no heartbeat';
      const started = a.lastStartedTime ? `, started ${iso(a.lastStartedTime)}` : '';
      const limit = a.heartbeatTimeoutMs !== null ? `heartbeat timeout ${seconds(a.heartbeatTimeoutMs)} s` : 'no heartbeat timeout';
      const then = !first
        ? 'no timeout will end it'
        : retried
          ? `it is retried once its ${first.which} timeout runs out at ${iso(timesOutAt!)}`
          : `its ${first.which} timeout at ${iso(timesOutAt!)} ends its last attempt`;
      return {
        kind: 'activitySilent',
        ...base,
        startedAt: a.lastStartedTime,
        lastHeartbeatAt: a.lastHeartbeatTime,
        heartbeatTimeoutSeconds: a.heartbeatTimeoutMs === null ? null : a.heartbeatTimeoutMs / 1000,
        worker: a.worker,
        timesOutAt,
        retried,
        sentence:
          `${name}: ${heard} (attempt ${a.attempt}${started}${a.worker ? ` on worker ${a.worker}` : ''}, ${limit}): ` +
          `its worker is probably gone; ${then}`,
      };
    }
  } else if (a.state === 'scheduled' && (a.lastTimeout === 'heartbeat' || a.lastTimeout === 'startToClose')) {
    const inBackoff = a.nextAttemptScheduleTime !== null && a.nextAttemptScheduleTime.getTime() > now.getTime();
    const heard = a.lastHeartbeatTime ? `, its last heartbeat at ${iso(a.lastHeartbeatTime)}` : '';
    const next = inBackoff
      ? `attempt ${a.attempt} starts at ${iso(a.nextAttemptScheduleTime!)}`
      : `attempt ${a.attempt} waits for a worker${a.scheduledTime ? ` since ${iso(a.scheduledTime)}` : ''}`;
    return {
      kind: 'activityTimedOut',
      ...base,
      timeout: a.lastTimeout,
      lastHeartbeatAt: a.lastHeartbeatTime,
      worker: a.worker,
      nextAttemptAt: a.nextAttemptScheduleTime,
      sentence:
        `${name}: attempt ${a.attempt - 1} timed out on its ${timeoutWords[a.lastTimeout]} timeout` +
        `${a.worker ? ` on worker ${a.worker}` : ''}${heard}: ` +
        `its worker is probably gone${a.lastTimeout === 'startToClose' ? ' (or the call outlasted its timeout)' : ''}; ${next}`,
    };
  } else if (
    a.state === 'scheduled' &&
    a.scheduledTime &&
    (a.nextAttemptScheduleTime === null || a.nextAttemptScheduleTime.getTime() <= now.getTime()) &&
    now.getTime() - a.scheduledTime.getTime() > silentActivityMs
  ) {
    return {
      kind: 'activityNotStarted',
      ...base,
      scheduledAt: a.scheduledTime,
      sentence: `${name}: attempt ${a.attempt} has waited for a worker since ${iso(a.scheduledTime)}; none has taken it`,
    };
  }
  if (a.attempt > 1 || a.lastFailure) {
    const next =
      a.nextAttemptScheduleTime && a.nextAttemptScheduleTime.getTime() > now.getTime()
        ? `; next attempt at ${iso(a.nextAttemptScheduleTime)}`
        : '';
    return {
      kind: 'activityRetrying',
      ...base,
      lastFailure: a.lastFailure,
      nextAttemptAt: a.nextAttemptScheduleTime,
      sentence: `${name} is on attempt ${a.attempt}${a.lastFailure ? `, last failure: ${a.lastFailure.message}` : ''}${next}`,
    };
  }
  return null;
}

/** What the history says of workflow tasks: the ones that timed out and the ones completed. */
export interface WorkflowTaskEvent {
  event: 'scheduled' | 'started' | 'completed' | 'timedOut';
  eventId: number;
  at: Date;
  /** Scheduled: its queue. */
  taskQueue?: string;
  sticky?: boolean;
  /** Started and completed: the worker. */
  identity?: string;
  /** Started, completed, timed out: the task's scheduled event. */
  scheduledEventId?: number;
  /** Timed out. */
  timeout?: 'scheduleToStart' | 'startToClose';
}

/**
 * Workflow tasks that timed out in this run: a worker that held the run in its cache (its sticky
 * queue) or had taken the task is gone, as after a SIGKILL; the run waits until another takes it.
 */
export function diagnoseWorkflowTaskTimeouts(events: WorkflowTaskEvent[]): Finding | null {
  const timeouts = events.filter((e) => e.event === 'timedOut');
  const last = timeouts.at(-1);
  if (!last) return null;
  const scheduled = events.find((e) => e.event === 'scheduled' && e.eventId === last.scheduledEventId);
  const started = events.find((e) => e.event === 'started' && e.scheduledEventId === last.scheduledEventId);
  const before = events.filter((e) => e.event === 'completed' && e.eventId < last.eventId).at(-1);
  const after = events.find((e) => e.event === 'completed' && e.eventId > last.eventId);
  const timeout = last.timeout ?? 'startToClose';
  const sticky = scheduled?.sticky ?? false;
  // Schedule-to-start: nobody took the task, so the worker to blame is the one whose cache held the run.
  const worker = (timeout === 'startToClose' ? started?.identity : before?.identity) ?? null;
  const what =
    timeout === 'startToClose'
      ? `worker ${worker ?? '(unknown)'} took it${started ? ` at ${iso(started.at)}` : ''} and never completed it: that worker probably died mid-task`
      : sticky
        ? `it waited on the sticky queue of worker ${worker ?? '(unknown)'}, which held this run in its cache: that worker is probably gone`
        : `no worker took it from task queue ${scheduled?.taskQueue ?? '(unknown)'} in time`;
  const times = timeouts.length > 1 ? ` (${timeouts.length} timeouts in this run)` : '';
  const then = after
    ? `worker ${after.identity ?? '(unknown)'} took the run over at ${iso(after.at)}`
    : 'no worker has taken the run over yet';
  return {
    kind: 'workflowTaskTimedOut',
    at: last.at,
    times: timeouts.length,
    timeout,
    taskQueue: scheduled?.taskQueue ?? '',
    sticky,
    worker,
    takenOverAt: after?.at ?? null,
    takenOverBy: after?.identity ?? null,
    sentence: `workflow task timed out at ${iso(last.at)}${times}: ${what}; ${then}`,
  };
}
