/**
 * The workflow side of the inbox, for every workflow that owns tasks: it registers the
 * task-action update, opens a task and waits for its outcome, and cancels what is still open.
 * Each accepted action changes the workflow's state at once (so a racing action is refused by
 * the same rule) and answers once its row and audit event are written.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { openTaskStatuses, type SubjectType, type TaskKind } from '../domain/vocabulary.js';
import type { Activities } from '../activities/index.js';
import { applyTaskAction, taskActionUpdate, type TaskState } from './inbox.contract.js';
import type { Write } from './writes.js';

const hour = 3600_000;

/** A task as the owning workflow asks for it: its due date is relative, its subject the workflow's. */
export interface TaskRequest {
  id: string;
  kind: TaskKind;
  group: string;
  title: string;
  input: Record<string, unknown>;
  due: { hours: number; priority: number };
  /** The outcome actions this task takes, when not every one its kind allows. */
  actions?: readonly string[];
}

export interface InboxOptions {
  subjectType: SubjectType;
  subjectId: string;
  workflowId: string;
  write: Write;
  /** The activities that write task rows from the main flow and from the handler, as the workflow's version has them. */
  rows: () => Pick<Activities, 'openTask'>;
  handlerRows: Pick<Activities, 'recordTaskAction'>;
  /** Histories from before the write queue awaited the write in the handler and answered with the whole task. */
  answerWithView: boolean;
  /** The tasks a run continued as new takes over from the last one. */
  tasks?: TaskState[];
  /** Told once a task moved to another group or person (a forward), after its write. */
  onForward?: (task: TaskState, actor: string, message: string | undefined) => Promise<void>;
}

export function createInbox(o: InboxOptions) {
  const tasks = new Map<string, TaskState & { outcome?: unknown }>((o.tasks ?? []).map((t) => [t.id, { ...t }]));
  /** Tasks the workflow itself withdrew (their question was answered otherwise). */
  const withdrawn = new Set<string>();
  const isOpen = (t: TaskState) => openTaskStatuses.includes(t.status);

  setHandler(
    taskActionUpdate,
    async (request) => {
      // Checked again here: another update may have changed the task since validation.
      const verdict = applyTaskAction(tasks.get(request.taskId), request);
      if (!verdict.ok) refuse(verdict.code, verdict.message);
      const task = tasks.get(request.taskId)!;
      // Applied before the write, so a second action racing this one is refused by the rule above;
      // the outcome goes with the status, as the owner's flow wakes on the status.
      const version = task.version + 1;
      Object.assign(task, verdict.next, { version }, verdict.next.status === 'completed' ? { outcome: verdict.outcome } : {});
      const record = () =>
        o.handlerRows.recordTaskAction({
          taskId: request.taskId,
          version,
          ...verdict.next,
          outcome: verdict.outcome ?? null,
          event: {
            action: request.action,
            actor: request.actor.keyId,
            details: { toGroup: request.toGroup, toAssignee: request.toAssignee, message: request.message, outcome: verdict.outcome },
          },
        });
      if (o.answerWithView) return record() as unknown as TaskState;
      await o.write(record);
      if (request.action === 'forward') await o.onForward?.(task, request.actor.keyId, request.message);
      return { id: task.id, kind: task.kind, group: task.group, assignee: task.assignee, status: task.status, version };
    },
    {
      validator: (request) => {
        const verdict = applyTaskAction(tasks.get(request.taskId), request);
        if (!verdict.ok) refuse(verdict.code, verdict.message);
      },
    },
  );

  async function open(t: TaskRequest): Promise<void> {
    tasks.set(t.id, {
      id: t.id,
      kind: t.kind,
      group: t.group,
      assignee: null,
      status: 'opened',
      version: 1,
      ...(t.actions ? { actions: t.actions } : {}),
    });
    await o.write(() =>
      o.rows().openTask({
        id: t.id,
        kind: t.kind,
        subjectType: o.subjectType,
        subjectId: o.subjectId,
        workflowId: o.workflowId,
        group: t.group,
        title: t.title,
        priority: t.due.priority,
        dueAt: new Date(Date.now() + t.due.hours * hour).toISOString(),
        input: t.input,
      }),
    );
  }

  /** A change the workflow itself makes to a task, written with its version and audit event. */
  async function systemAction(task: TaskState, action: string, details: Record<string, unknown>) {
    const version = ++task.version;
    await o.write(() =>
      o.handlerRows.recordTaskAction({
        taskId: task.id,
        version,
        status: task.status,
        assignee: task.assignee,
        group: task.group,
        outcome: null,
        event: { action, actor: 'system', details },
      }),
    );
  }

  async function awaitOutcome(id: string): Promise<unknown> {
    await condition(() => tasks.get(id)!.status === 'completed' || withdrawn.has(id));
    return tasks.get(id)!.outcome;
  }

  return {
    open,

    /** Opens a task in its group's inbox and waits until it is completed; returns its outcome. */
    async awaitTask(t: TaskRequest): Promise<unknown> {
      await open(t);
      return awaitOutcome(t.id);
    },

    /** Waits for an open task (one a run continued as new took over, say); its outcome, or undefined once withdrawn. */
    awaitOutcome,

    /** A task as the workflow holds it: who completed it, for the record. */
    task: (id: string): TaskState | undefined => {
      const t = tasks.get(id);
      return t && { ...t };
    },

    /**
     * Ends an open task from the workflow's side: cancelled because its question was answered
     * otherwise (its `awaitTask` resolves with no outcome), or completed by what the workflow did.
     */
    async withdraw(id: string, reason: string, status: 'cancelled' | 'completed' = 'cancelled'): Promise<void> {
      const task = tasks.get(id);
      if (!task || !isOpen(task)) return;
      withdrawn.add(id);
      task.status = status;
      await systemAction(task, status === 'cancelled' ? 'cancel' : 'complete', { reason });
    },

    /** Moves an open task to another group's inbox (an escalation), unassigned, saying why. */
    async reassign(id: string, group: string, message: string): Promise<void> {
      const task = tasks.get(id);
      if (!task || !isOpen(task)) return;
      Object.assign(task, { group, assignee: null, status: 'opened' });
      await systemAction(task, 'forward', { toGroup: group, message });
    },

    openTaskIds: () => [...tasks.values()].filter(isOpen).map((t) => t.id),

    /** The tasks as they stand, for a run that continues as new. */
    snapshot: (): TaskState[] => [...tasks.values()].map(({ outcome: _outcome, ...t }) => t),

    /** Marks every open task cancelled; the owner's compensation writes the rows. */
    cancelOpen(): void {
      for (const t of tasks.values()) if (isOpen(t)) t.status = 'cancelled';
    },
  };
}

/** A refusal crosses Temporal as a non-retryable failure whose type is the code (api/errors.ts). */
export function refuse(code: string, message: string): never {
  throw ApplicationFailure.nonRetryable(message, code);
}

/**
 * The entry update's validator (order, case, recall): the id must be the workflow's, and requests
 * racing with one Idempotency-Key must carry one body: the first names the thing, another is refused.
 */
export function refuseStrangeEntry(
  what: 'order' | 'case' | 'recall',
  workflowsId: string,
  given: { id: string; idempotencyKey: string | null; requestHash: string },
  first: { requestHash: string } | undefined,
): void {
  if (given.id !== workflowsId) refuse('VALIDATION_FAILED', `${what} id ${given.id} does not match workflow ${workflowsId}`);
  if (first && given.idempotencyKey && given.requestHash !== first.requestHash)
    refuse('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key was used for another request (${what} ${workflowsId})`);
}
