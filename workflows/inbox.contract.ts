/**
 * The inbox's contract, shared by every workflow that owns tasks and by the API: the task-action
 * update, its refusal codes and the pure rule that decides them. No zod here: this module is in
 * the workflow bundle (the payload schemas are in inbox.payloads.ts, for the API).
 */
import { defineUpdate } from '@temporalio/workflow';
import { taskOutcomeProblem, type TaskKind, type TaskStatus } from '../domain/vocabulary.js';
import type { TaskActionRequest } from '../domain/task-commands.js';

export type { TaskActionRequest };

/** A task as its workflow holds it; also the task-action update's answer. */
export interface TaskState {
  id: string;
  kind: TaskKind;
  group: string;
  assignee: string | null;
  status: TaskStatus;
  /** 1 when opened, one more with every accepted action: the row's version once written. */
  version: number;
  /** A fallout task's decisions when not all are open to it (compensation cannot be cancelled). */
  actions?: readonly string[];
}

export const taskRefusals = [
  'TASK_NOT_FOUND',
  'NOT_IN_GROUP',
  'TASK_STATE_CONFLICT',
  'TASK_ALREADY_COMPLETED',
  'INVALID_OUTCOME',
  'VALIDATION_FAILED',
] as const;
/** Codes a refused task action fails with; api/errors.ts maps each to its HTTP status. */
export type TaskRefusal = (typeof taskRefusals)[number];

export type Verdict<Code extends string, Ok = object> = ({ ok: true } & Ok) | { ok: false; code: Code; message: string };

/**
 * Whether `r` may be applied to `task`, and the task's fields afterwards. Admins may act in any
 * group; a back-office key only in its own groups. The workflow's validator calls it against its
 * state, the API against the row once the task is closed: one rule, one code.
 */
export function applyTaskAction(
  task: TaskState | undefined,
  r: TaskActionRequest,
): Verdict<TaskRefusal, { next: Pick<TaskState, 'status' | 'assignee' | 'group'>; outcome?: unknown }> {
  if (!task) return { ok: false, code: 'TASK_NOT_FOUND', message: `No task ${r.taskId}` };
  if (r.actor.role !== 'admin' && !r.actor.groups.includes(task.group)) {
    return { ok: false, code: 'NOT_IN_GROUP', message: `Task ${task.id} belongs to group ${task.group}, which this key is not in` };
  }
  if (task.status === 'completed') return { ok: false, code: 'TASK_ALREADY_COMPLETED', message: `Task ${task.id} is already completed` };
  if (task.status === 'cancelled') return { ok: false, code: 'TASK_STATE_CONFLICT', message: `Task ${task.id} was cancelled` };
  const conflict = (why: string) => ({
    ok: false as const,
    code: 'TASK_STATE_CONFLICT' as const,
    message: `Cannot ${r.action} task ${task.id}: ${why}`,
  });
  const heldByOther = task.assignee !== null && task.assignee !== r.actor.keyId;
  switch (r.action) {
    case 'claim':
      if (heldByOther) return conflict(`it is claimed by ${task.assignee}`);
      return { ok: true, next: { status: task.status, assignee: r.actor.keyId, group: task.group } };
    case 'release':
      if (task.assignee === null) return conflict('it is not claimed');
      if (heldByOther && r.actor.role !== 'admin') return conflict(`it is claimed by ${task.assignee}`);
      return { ok: true, next: { status: 'opened', assignee: null, group: task.group } };
    case 'start':
      if (task.status !== 'opened') return conflict(`it is ${task.status}`);
      if (heldByOther) return conflict(`it is claimed by ${task.assignee}`);
      return { ok: true, next: { status: 'inProgress', assignee: r.actor.keyId, group: task.group } };
    case 'forward':
      if (!r.toGroup && !r.toAssignee) return { ok: false, code: 'VALIDATION_FAILED', message: 'forward needs toGroup or toAssignee' };
      if (heldByOther) return conflict(`it is claimed by ${task.assignee}`);
      return { ok: true, next: { status: 'opened', assignee: r.toAssignee ?? null, group: r.toGroup ?? task.group } };
    case 'complete': {
      if (heldByOther) return conflict(`it is claimed by ${task.assignee}`);
      const problem = taskOutcomeProblem(task.kind, r.outcome);
      if (problem) return { ok: false, code: 'INVALID_OUTCOME', message: `Invalid outcome for a ${task.kind} task: ${problem}` };
      const action = (r.outcome as { action?: string } | undefined)?.action;
      if (task.actions && !task.actions.includes(action ?? '')) {
        return { ok: false, code: 'INVALID_OUTCOME', message: `Task ${task.id} takes action ${task.actions.join(', ')}, not ${action}` };
      }
      return { ok: true, next: { status: 'completed', assignee: task.assignee ?? r.actor.keyId, group: task.group }, outcome: r.outcome };
    }
  }
}

/** Every workflow that owns tasks registers this update under this one name (workflows/inbox.ts). */
export const taskActionUpdate = defineUpdate<TaskState, [TaskActionRequest]>('taskAction');
