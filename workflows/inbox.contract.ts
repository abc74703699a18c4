/**
 * The inbox's rules, shared by every workflow that owns tasks and by the API: task kinds with
 * their outcome schemas, the actions on a task and which states allow them. Pure and
 * deterministic, so workflow update validators can use it.
 */
import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';

export const taskActions = ['claim', 'release', 'start', 'forward', 'complete'] as const;
export type TaskAction = (typeof taskActions)[number];

export const taskOutcomes = {
  /** A back-office operator fulfilled a manual component (seed: Opened -> In Process -> Completed). */
  manualFulfilment: z.object({ done: z.literal(true), reference: z.string().max(200).optional(), note: z.string().max(2000).optional() }).strict(),
  /** What to do with an order step that failed (design section 3: fallout). */
  fallout: z
    .object({ action: z.enum(['retry', 'skip', 'cancel']), reason: z.string().min(1).max(2000).optional() })
    .strict()
    .refine((o) => o.action !== 'skip' || o.reason !== undefined, { message: 'a skip needs a reason', path: ['reason'] }),
} as const;
export type TaskKind = keyof typeof taskOutcomes;

export interface Actor {
  keyId: string;
  role: string;
  groups: string[];
}

export interface TaskState {
  id: string;
  kind: TaskKind;
  group: string;
  assignee: string | null;
  status: 'opened' | 'inProgress' | 'completed' | 'cancelled';
}

export const taskActionRequest = z.object({
  taskId: z.string(),
  action: z.enum(taskActions),
  actor: z.object({ keyId: z.string(), role: z.string(), groups: z.array(z.string()) }),
  /** forward: the group and/or person that receives the task, and why ("send action request"). */
  toGroup: z.string().regex(/^[a-z][a-zA-Z0-9-]{0,63}$/).optional(),
  toAssignee: z.string().max(200).optional(),
  message: z.string().max(2000).optional(),
  outcome: z.unknown().optional(),
});
export type TaskActionRequest = z.infer<typeof taskActionRequest>;

/** Codes a refused task action fails with; the API maps them to 403/404/409/422. */
export type TaskRefusal = 'TASK_NOT_FOUND' | 'NOT_IN_GROUP' | 'TASK_STATE_CONFLICT' | 'TASK_ALREADY_COMPLETED' | 'INVALID_OUTCOME' | 'VALIDATION_FAILED';

/**
 * Whether `request` may be applied to `task`, and the task's fields afterwards. Admins may act in
 * any group; a back-office key only in its own groups.
 */
export function applyTaskAction(
  task: TaskState | undefined,
  r: TaskActionRequest,
): { ok: true; next: Pick<TaskState, 'status' | 'assignee' | 'group'>; outcome?: unknown } | { ok: false; code: TaskRefusal; message: string } {
  if (!task) return { ok: false, code: 'TASK_NOT_FOUND', message: `No task ${r.taskId}` };
  if (r.actor.role !== 'admin' && !r.actor.groups.includes(task.group)) {
    return { ok: false, code: 'NOT_IN_GROUP', message: `Task ${task.id} belongs to group ${task.group}, which this key is not in` };
  }
  if (task.status === 'completed') return { ok: false, code: 'TASK_ALREADY_COMPLETED', message: `Task ${task.id} is already completed` };
  if (task.status === 'cancelled') return { ok: false, code: 'TASK_STATE_CONFLICT', message: `Task ${task.id} was cancelled` };
  const conflict = (why: string) => ({ ok: false as const, code: 'TASK_STATE_CONFLICT' as const, message: `Cannot ${r.action} task ${task.id}: ${why}` });
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
      const parsed = taskOutcomes[task.kind].safeParse(r.outcome);
      if (!parsed.success) {
        return { ok: false, code: 'INVALID_OUTCOME', message: `Invalid outcome for a ${task.kind} task: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(outcome)'} ${i.message}`).join('; ')}` };
      }
      return { ok: true, next: { status: 'completed', assignee: task.assignee ?? r.actor.keyId, group: task.group }, outcome: parsed.data };
    }
  }
}

/** The task as the inbox shows it; returned by every task update once its row is written. */
export type TaskView = {
  id: string;
  kind: string;
  subjectType: string;
  subjectId: string;
  group: string;
  assignee: string | null;
  status: TaskState['status'];
  priority: number;
  title: string;
  dueAt: string | null;
  input: unknown;
  outcome: unknown;
  createdAt: string;
  updatedAt: string;
  events: { action: string; actor: string; at: string; details: unknown }[];
};

/** Every workflow that owns tasks registers this update under this one name. */
export const taskActionUpdate = defineUpdate<TaskView, [TaskActionRequest]>('taskAction');
