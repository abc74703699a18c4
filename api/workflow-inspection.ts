/**
 * What support engineers see of any workflow, whatever its type: the list from visibility, a
 * description that says why a run is stuck, and its history raw or as a readable timeline.
 */
import { isGrpcServiceError, type Client, type Connection, type WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal as protoTypes } from '@temporalio/proto';
import proto from '@temporalio/proto';
import type { Db } from '../db/client.js';
import { caseKinds, caseStatuses } from '../domain/vocabulary.js';
import { caseSearchAttributes } from '../workflows/case.contract.js';
import { z } from 'zod';
import { listQuery } from './paging.js';
import { DomainError } from './errors.js';
import { historyToJson, type History } from './history-json.js';
import {
  defaultSilentActivityMs,
  diagnoseActivity,
  diagnoseWorkflowTaskTimeouts,
  failureView,
  finding,
  type ActivityFacts,
  type FailureView,
  type Finding,
  type TimeoutKind,
  type WorkflowTaskEvent,
} from './diagnosis.js';
import { waitsOf } from './waiting.js';

const grpcNotFound = 5;

// The proto package is CommonJS whose exports Node cannot detect by name; hence the default import.
const { temporal } = proto;
type HistoryEvent = protoTypes.api.history.v1.IHistoryEvent;
type Failure = protoTypes.api.failure.v1.IFailure | null | undefined;

export const workflowStatuses = ['running', 'completed', 'failed', 'canceled', 'terminated', 'continuedAsNew', 'timedOut'] as const;
export type WorkflowStatus = (typeof workflowStatuses)[number];

const visibilityStatus: Record<WorkflowStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  continuedAsNew: 'ContinuedAsNew',
  timedOut: 'TimedOut',
};

/** Seconds arrive as Long from the server but as plain numbers from history JSON; Number() takes both. */
function optionalTsToDate(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | undefined {
  return ts ? new Date(Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)) : undefined;
}

/** RUNNING -> running, CONTINUED_AS_NEW -> continuedAsNew: the API speaks camelCase everywhere. */
const camel = (upper: string) => upper.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const pascal = (upper: string) => camel(upper).replace(/^./, (c) => c.toUpperCase());

function summarizeFailure(f: Failure): FailureView | undefined {
  if (!f) return undefined;
  return {
    message: f.message ?? '',
    type:
      f.applicationFailureInfo?.type ?? (f.timeoutFailureInfo ? 'Timeout' : f.canceledFailureInfo ? 'Canceled' : undefined) ?? undefined,
    cause: f.cause?.message ?? undefined,
  };
}

export const workflowSummary = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    type: z.string(),
    status: z.string(),
    taskQueue: z.string(),
    startTime: z.date(),
    closeTime: z.date().nullable(),
    historyLength: z.number(),
  })
  .meta({ id: 'WorkflowSummary' });

export const workflowListQuery = listQuery({
  type: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'a workflow type name')
    .optional(),
  status: z.enum(workflowStatuses).optional(),
  // The case workflow's search attributes (workflows/case.contract.ts).
  caseKind: z.enum(caseKinds).optional(),
  caseStatus: z.enum(caseStatuses).optional(),
  customerId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'a customer id')
    .optional(),
  // Visibility has no offset: the pages before it are read and dropped, so it stays small.
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export async function listWorkflows(client: Client, q: z.infer<typeof workflowListQuery>) {
  // Both values are checked by the schema above, so interpolating them cannot alter the query.
  const clauses = [
    q.type && `WorkflowType = '${q.type}'`,
    q.status && `ExecutionStatus = '${visibilityStatus[q.status]}'`,
    q.caseKind && `${caseSearchAttributes.kind.name} = '${q.caseKind}'`,
    q.caseStatus && `${caseSearchAttributes.status.name} = '${q.caseStatus}'`,
    q.customerId && `${caseSearchAttributes.customerId.name} = '${q.customerId}'`,
  ].filter(Boolean);
  const query = clauses.join(' AND ') || undefined;
  const items: z.infer<typeof workflowSummary>[] = [];
  let index = 0;
  for await (const w of client.workflow.list({ query, pageSize: Math.min(q.offset + q.limit, 1000) })) {
    if (index++ < q.offset) continue;
    items.push({
      workflowId: w.workflowId,
      runId: w.runId,
      type: w.type,
      status: camel(w.status.name),
      taskQueue: w.taskQueue,
      startTime: w.startTime,
      closeTime: w.closeTime ?? null,
      historyLength: w.historyLength,
    });
    if (items.length >= q.limit) break;
  }
  const { count } = await client.workflow.count(query);
  return { items, total: count };
}

export const timelineEntry = z
  .object({
    eventId: z.number(),
    time: z.date(),
    event: z.string().describe('The history event type, e.g. ActivityTaskFailed'),
    kind: z.enum(['workflow', 'workflowTask', 'activity', 'signal', 'update', 'timer', 'child', 'marker', 'other']),
    name: z.string().optional().describe('Activity type, signal or update name, timer id, child workflow type'),
    attempt: z.number().optional(),
    failure: failureView.optional(),
    detail: z.string().optional(),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof timelineEntry>;

const quietEvents = new Set(['WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);

/**
 * A readable account of a history: one line per meaningful event, with names resolved from the
 * events they refer to (a completion names its activity, not just a scheduled-event id). Routine
 * workflow-task bookkeeping is left out; a failed workflow task is kept, as it means a stuck run.
 */
export function toTimeline(events: HistoryEvent[]): TimelineEntry[] {
  const activityBySchedule = new Map<string, string>();
  const attemptBySchedule = new Map<string, number>();
  const updateNameById = new Map<string, string>();
  const childBySchedule = new Map<string, string>();
  const entries: TimelineEntry[] = [];

  for (const e of events) {
    const event = pascal(temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '') ?? 'UNSPECIFIED');
    if (quietEvents.has(event)) continue;
    const base = { eventId: Number(e.eventId), time: optionalTsToDate(e.eventTime) ?? new Date(0), event };
    const scheduled = (id: unknown) => String(id ?? '');
    let entry: TimelineEntry = { ...base, kind: 'other' };

    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      entry = {
        ...base,
        kind: 'workflow',
        name: a.workflowType?.name ?? undefined,
        attempt: a.attempt ?? undefined,
        detail: `task queue ${a.taskQueue?.name}`,
      };
    } else if (
      event.startsWith('WorkflowExecution') &&
      !event.startsWith('WorkflowExecutionUpdate') &&
      event !== 'WorkflowExecutionSignaled'
    ) {
      const a =
        e.workflowExecutionFailedEventAttributes ??
        e.workflowExecutionTimedOutEventAttributes ??
        e.workflowExecutionTerminatedEventAttributes ??
        e.workflowExecutionCanceledEventAttributes;
      const failure = summarizeFailure((a as { failure?: Failure } | undefined)?.failure);
      const reason =
        e.workflowExecutionTerminatedEventAttributes?.reason ?? e.workflowExecutionCancelRequestedEventAttributes?.cause ?? undefined;
      entry = { ...base, kind: 'workflow', failure, detail: reason || undefined };
    } else if (e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) {
      const a = e.workflowTaskFailedEventAttributes;
      entry = {
        ...base,
        kind: 'workflowTask',
        failure: summarizeFailure(a?.failure),
        detail: a?.cause ? temporal.api.enums.v1.WorkflowTaskFailedCause[a.cause] : undefined,
      };
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      activityBySchedule.set(scheduled(e.eventId), a.activityType?.name ?? '');
      entry = { ...base, kind: 'activity', name: a.activityType?.name ?? undefined, detail: `activity id ${a.activityId}` };
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      attemptBySchedule.set(scheduled(a.scheduledEventId), a.attempt ?? 1);
      entry = {
        ...base,
        kind: 'activity',
        name: activityBySchedule.get(scheduled(a.scheduledEventId)),
        attempt: a.attempt ?? undefined,
        failure: summarizeFailure(a.lastFailure),
      };
    } else if (
      e.activityTaskCompletedEventAttributes ||
      e.activityTaskFailedEventAttributes ||
      e.activityTaskTimedOutEventAttributes ||
      e.activityTaskCanceledEventAttributes ||
      e.activityTaskCancelRequestedEventAttributes
    ) {
      const a =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes ??
        e.activityTaskCancelRequestedEventAttributes!;
      const id = scheduled(a.scheduledEventId);
      entry = {
        ...base,
        kind: 'activity',
        name: activityBySchedule.get(id),
        attempt: attemptBySchedule.get(id),
        failure: summarizeFailure((a as { failure?: Failure }).failure),
      };
    } else if (e.workflowExecutionSignaledEventAttributes) {
      entry = { ...base, kind: 'signal', name: e.workflowExecutionSignaledEventAttributes.signalName ?? undefined };
    } else if (e.workflowExecutionUpdateAdmittedEventAttributes) {
      const r = e.workflowExecutionUpdateAdmittedEventAttributes.request;
      if (r?.meta?.updateId) updateNameById.set(r.meta.updateId, r.input?.name ?? '');
      entry = { ...base, kind: 'update', name: r?.input?.name ?? undefined, detail: `update id ${r?.meta?.updateId}` };
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const r = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      if (r?.meta?.updateId) updateNameById.set(r.meta.updateId, r.input?.name ?? '');
      entry = { ...base, kind: 'update', name: r?.input?.name ?? undefined, detail: `update id ${r?.meta?.updateId}` };
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      const a = e.workflowExecutionUpdateCompletedEventAttributes;
      const id = a.meta?.updateId ?? '';
      entry = {
        ...base,
        kind: 'update',
        name: updateNameById.get(id),
        failure: summarizeFailure(a.outcome?.failure),
        detail: `update id ${id}`,
      };
    } else if (e.timerStartedEventAttributes) {
      const a = e.timerStartedEventAttributes;
      const seconds = Number(a.startToFireTimeout?.seconds ?? 0) + (a.startToFireTimeout?.nanos ?? 0) / 1e9;
      entry = { ...base, kind: 'timer', name: a.timerId ?? undefined, detail: `fires after ${seconds} s` };
    } else if (e.timerFiredEventAttributes || e.timerCanceledEventAttributes) {
      entry = { ...base, kind: 'timer', name: (e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes)!.timerId ?? undefined };
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
      childBySchedule.set(scheduled(e.eventId), a.workflowType?.name ?? '');
      entry = { ...base, kind: 'child', name: a.workflowType?.name ?? undefined, detail: `workflow id ${a.workflowId}` };
    } else if (event.startsWith('ChildWorkflowExecution') || event.startsWith('StartChildWorkflowExecution')) {
      const a = Object.entries(e).find(([k, v]) => k.endsWith('EventAttributes') && v)?.[1] as
        { initiatedEventId?: unknown; workflowExecution?: { workflowId?: string }; failure?: Failure } | undefined;
      entry = {
        ...base,
        kind: 'child',
        name: childBySchedule.get(scheduled(a?.initiatedEventId)),
        failure: summarizeFailure(a?.failure),
        detail: a?.workflowExecution?.workflowId ? `workflow id ${a.workflowExecution.workflowId}` : undefined,
      };
    } else if (e.markerRecordedEventAttributes) {
      const a = e.markerRecordedEventAttributes;
      // Local activities and patches are markers; their details say which activity or patch.
      const details = markerDetails(a.details?.data ?? a.details?.['patch-data']);
      if (a.markerName === 'core_local_activity') {
        entry = {
          ...base,
          kind: 'activity',
          name: details?.activity_type as string | undefined,
          attempt: details?.attempt as number | undefined,
          failure: summarizeFailure(a.failure),
          detail: 'local activity',
        };
      } else {
        entry = {
          ...base,
          kind: 'marker',
          name: a.markerName ?? undefined,
          detail: a.markerName === 'core_patch' && details?.id ? `patch ${details.id}` : undefined,
        };
      }
    }
    entries.push(entry);
  }
  return entries;
}

function markerDetails(payloads: protoTypes.api.common.v1.IPayloads | null | undefined): Record<string, unknown> | undefined {
  const data = payloads?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Updates accepted by the workflow but not yet completed, read from its history. */
export function pendingUpdates(events: HistoryEvent[]): { updateId: string; name: string; acceptedAt: Date | null }[] {
  const open = new Map<string, { updateId: string; name: string; acceptedAt: Date | null }>();
  for (const e of events) {
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (accepted?.meta?.updateId) {
      open.set(accepted.meta.updateId, {
        updateId: accepted.meta.updateId,
        name: accepted.input?.name ?? '',
        acceptedAt: optionalTsToDate(e.eventTime) ?? null,
      });
    }
    const done = e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId;
    if (done) open.delete(done);
  }
  return [...open.values()];
}

export const workflowDescription = workflowSummary
  .extend({
    executionTime: z.date().nullable(),
    pendingActivities: z.array(
      z.object({
        activityId: z.string(),
        activityType: z.string(),
        state: z.string(),
        attempt: z.number(),
        maximumAttempts: z.number().describe('0 means unlimited'),
        scheduledTime: z.date().nullable(),
        lastStartedTime: z.date().nullable(),
        nextAttemptScheduleTime: z.date().nullable(),
        lastHeartbeatTime: z.date().nullable(),
        lastWorkerIdentity: z.string().nullable(),
        lastFailure: failureView.nullable(),
      }),
    ),
    pendingChildren: z.array(z.object({ workflowId: z.string(), runId: z.string(), workflowType: z.string() })),
    pendingUpdates: z.array(z.object({ updateId: z.string(), name: z.string(), acceptedAt: z.date().nullable() })),
    pendingWorkflowTask: z.object({ state: z.string(), attempt: z.number(), lastFailure: failureView.nullable() }).nullable(),
    /** The workflow's own `state` query, where it defines one. */
    state: z.unknown().nullable(),
    stateError: z.string().nullable(),
    /** Plain sentences: what this run is waiting on or failing at (the findings' sentences). */
    diagnosis: z.array(z.string()),
    findings: z.array(finding).describe('The diagnosis for programs: each finding with its kind and facts'),
  })
  .meta({ id: 'WorkflowDescription' });
export type WorkflowDescriptionView = z.infer<typeof workflowDescription>;

export interface InspectionOptions {
  /** The read models: whom a run waits on. */
  db: Db;
  /** How long an attempt without a heartbeat timeout may go without a heartbeat before its worker is taken for gone. */
  silentActivityMs?: number;
}

export async function describeWorkflow(
  t: { client: Client; connection: Connection; namespace: string },
  workflowId: string,
  o: InspectionOptions,
): Promise<WorkflowDescriptionView> {
  const handle = t.client.workflow.getHandle(workflowId);
  const d: WorkflowExecutionDescription = await handle.describe();
  const events = (await handle.fetchHistory()).events ?? [];
  const running = d.status.name === 'RUNNING';

  const pendingActivities = (d.raw.pendingActivities ?? []).map((a) => ({
    activityId: a.activityId ?? '',
    activityType: a.activityType?.name ?? '',
    state: camel(temporal.api.enums.v1.PendingActivityState[a.state ?? 0]?.replace(/^PENDING_ACTIVITY_STATE_/, '') ?? 'UNSPECIFIED'),
    attempt: a.attempt ?? 1,
    maximumAttempts: a.maximumAttempts ?? 0,
    scheduledTime: optionalTsToDate(a.scheduledTime) ?? null,
    lastStartedTime: optionalTsToDate(a.lastStartedTime) ?? null,
    nextAttemptScheduleTime: optionalTsToDate(a.nextAttemptScheduleTime) ?? null,
    lastHeartbeatTime: optionalTsToDate(a.lastHeartbeatTime) ?? null,
    lastWorkerIdentity: a.lastWorkerIdentity || null,
    lastFailure: summarizeFailure(a.lastFailure) ?? null,
  }));
  const timeoutsOf = activityTimeouts(events);
  const activityFacts: ActivityFacts[] = pendingActivities.map((a, i) => ({
    ...a,
    worker: a.lastWorkerIdentity,
    lastTimeout: timeoutKind(d.raw.pendingActivities?.[i]?.lastFailure?.timeoutFailureInfo?.timeoutType),
    heartbeatTimeoutMs: timeoutsOf.get(a.activityId)?.heartbeatMs ?? null,
    startToCloseTimeoutMs: timeoutsOf.get(a.activityId)?.startToCloseMs ?? null,
  }));
  const wt = d.raw.pendingWorkflowTask;
  const lastTaskFailure = [...events].reverse().find((e) => e.workflowTaskFailedEventAttributes)
    ?.workflowTaskFailedEventAttributes?.failure;
  const pendingWorkflowTask = wt
    ? {
        state: camel(
          temporal.api.enums.v1.PendingWorkflowTaskState[wt.state ?? 0]?.replace(/^PENDING_WORKFLOW_TASK_STATE_/, '') ?? 'UNSPECIFIED',
        ),
        attempt: wt.attempt ?? 1,
        lastFailure: (wt.attempt ?? 1) > 1 ? (summarizeFailure(lastTaskFailure) ?? null) : null,
      }
    : null;
  const updates = running ? pendingUpdates(events) : [];
  const pendingChildren = (d.raw.pendingChildren ?? []).map((c) => ({
    workflowId: c.workflowId ?? '',
    runId: c.runId ?? '',
    workflowType: c.workflowTypeName ?? '',
  }));

  let state: unknown = null;
  let stateError: string | null = null;
  try {
    // A closed run is queried by replaying it on a worker; without one the call would hang, hence the deadline.
    state = await t.connection.withDeadline(Date.now() + 3_000, () => handle.query('state'));
  } catch (err) {
    stateError = (err as Error).message || String(err);
  }

  const findings: Finding[] = [];
  if (running) {
    const now = new Date();
    for (const a of activityFacts) {
      const f = diagnoseActivity(a, now, o.silentActivityMs ?? defaultSilentActivityMs);
      if (f) findings.push(f);
    }
    if (pendingWorkflowTask && pendingWorkflowTask.attempt > 1) {
      findings.push({
        kind: 'workflowTaskFailing',
        attempt: pendingWorkflowTask.attempt,
        lastFailure: pendingWorkflowTask.lastFailure,
        sentence: `workflow task is failing (attempt ${pendingWorkflowTask.attempt})${pendingWorkflowTask.lastFailure ? `: ${pendingWorkflowTask.lastFailure.message}` : ''}; a code change without patched() is a common cause`,
      });
    }
    const timedOut = diagnoseWorkflowTaskTimeouts(workflowTaskEvents(events));
    if (timedOut) findings.push(timedOut);
    if (!(await hasPollers(t, d.taskQueue)))
      findings.push({
        kind: 'noWorker',
        taskQueue: d.taskQueue,
        sentence: `no worker has polled task queue ${d.taskQueue} in the last minutes`,
      });
    for (const u of updates) findings.push({ kind: 'updateInProgress', ...u, sentence: `update ${u.name} (${u.updateId}) is in progress` });
    try {
      findings.push(...(await waitsOf(o.db, { type: d.type, state }, now)));
    } catch (err) {
      // Support inspects runs when things break, the database included: what Temporal says still stands.
      findings.push({
        kind: 'waiting',
        // Not the error's text: a failed query's carries its statement and values.
        sentence: `whom this run waits on is unknown: the read models could not be read`,
      });
    }
    if (findings.length === 0 && pendingActivities.length === 0 && pendingChildren.length === 0)
      findings.push({ kind: 'waiting', sentence: 'waiting for a signal, an update or a timer' });
  }

  return {
    workflowId: d.workflowId,
    runId: d.runId,
    type: d.type,
    status: camel(d.status.name),
    taskQueue: d.taskQueue,
    startTime: d.startTime,
    closeTime: d.closeTime ?? null,
    executionTime: d.executionTime ?? null,
    historyLength: d.historyLength,
    pendingActivities,
    pendingChildren,
    pendingUpdates: updates,
    pendingWorkflowTask,
    state,
    stateError,
    diagnosis: findings.map((f) => f.sentence),
    findings,
  };
}

const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => {
  const ms = Number(d?.seconds ?? 0) * 1000 + Math.floor((d?.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : null;
};

/** Each activity's timeouts, from its latest ActivityTaskScheduled event (an activity id is unique among pending ones). */
function activityTimeouts(events: HistoryEvent[]) {
  const byId = new Map<string, { heartbeatMs: number | null; startToCloseMs: number | null }>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityId)
      byId.set(a.activityId, { heartbeatMs: durationMs(a.heartbeatTimeout), startToCloseMs: durationMs(a.startToCloseTimeout) });
  }
  return byId;
}

const timeoutKindByType: Partial<Record<number, TimeoutKind>> = {
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT]: 'heartbeat',
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE]: 'startToClose',
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START]: 'scheduleToStart',
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]: 'scheduleToClose',
};
const timeoutKind = (type: number | null | undefined): TimeoutKind | null => (type ? (timeoutKindByType[type] ?? null) : null);

/** The workflow task events of a history, as the diagnosis of their timeouts reads them. */
function workflowTaskEvents(events: HistoryEvent[]): WorkflowTaskEvent[] {
  const out: WorkflowTaskEvent[] = [];
  for (const e of events) {
    const base = { eventId: Number(e.eventId), at: optionalTsToDate(e.eventTime) ?? new Date(0) };
    if (e.workflowTaskScheduledEventAttributes) {
      const q = e.workflowTaskScheduledEventAttributes.taskQueue;
      out.push({
        ...base,
        event: 'scheduled',
        taskQueue: q?.name ?? '',
        sticky: q?.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY,
      });
    } else if (e.workflowTaskStartedEventAttributes) {
      const a = e.workflowTaskStartedEventAttributes;
      out.push({ ...base, event: 'started', identity: a.identity ?? undefined, scheduledEventId: Number(a.scheduledEventId) });
    } else if (e.workflowTaskCompletedEventAttributes) {
      const a = e.workflowTaskCompletedEventAttributes;
      out.push({ ...base, event: 'completed', identity: a.identity ?? undefined, scheduledEventId: Number(a.scheduledEventId) });
    } else if (e.workflowTaskTimedOutEventAttributes) {
      const a = e.workflowTaskTimedOutEventAttributes;
      out.push({
        ...base,
        event: 'timedOut',
        scheduledEventId: Number(a.scheduledEventId),
        timeout: a.timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START ? 'scheduleToStart' : 'startToClose',
      });
    }
  }
  return out;
}

async function hasPollers(t: { connection: Connection; namespace: string }, taskQueue: string): Promise<boolean> {
  try {
    const r = await t.connection.workflowService.describeTaskQueue({
      namespace: t.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (r.pollers ?? []).length > 0;
  } catch {
    return true; // unknown: say nothing rather than something false
  }
}

export async function workflowHistory(client: Client, workflowId: string): Promise<History> {
  try {
    return await client.workflow.getHandle(workflowId).fetchHistory();
  } catch (err) {
    // Unlike describe(), fetchHistory() passes the raw gRPC NOT_FOUND through.
    if (isGrpcServiceError(err) && err.code === grpcNotFound) throw new DomainError('WORKFLOW_NOT_FOUND', `No workflow ${workflowId}`);
    throw err;
  }
}

/** The history in Temporal's own JSON form: the same the CLI and UI export, and replay reads. */
export const historyJson = historyToJson;
