import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { SubjectType, TaskKind, TaskStatus } from '../domain/vocabulary.js';
import { notifications, taskEvents, tasks } from '../db/schema.js';

export interface NewTask {
  id: string;
  kind: TaskKind;
  subjectType: SubjectType;
  subjectId: string;
  workflowId: string;
  group: string;
  title: string;
  priority: number;
  dueAt: string;
  input: unknown;
}

export interface Notification {
  id: string;
  kind: string;
  recipient: string;
  subjectType: SubjectType;
  subjectId: string;
  message: string;
}

export function inboxActivities(db: Db) {
  const notify = async (n: Notification) => void (await db.insert(notifications).values(n).onConflictDoNothing());
  return {
    notify,

    /** A new inbox item (status opened, version 1), its audit event and the group's notification. Idempotent. */
    async openTask(t: NewTask): Promise<void> {
      const now = new Date();
      await db.transaction(async (tx) => {
        await tx
          .insert(tasks)
          .values({ ...t, status: 'opened', version: 1, dueAt: new Date(t.dueAt), createdAt: now, updatedAt: now })
          .onConflictDoNothing();
        await tx
          .insert(taskEvents)
          .values({ taskId: t.id, version: 1, action: 'open', actor: 'system', at: now, details: { group: t.group } })
          .onConflictDoNothing();
        await tx
          .insert(notifications)
          .values({
            id: `${t.id}:opened`,
            kind: 'inboxItem',
            recipient: `group:${t.group}`,
            subjectType: t.subjectType,
            subjectId: t.subjectId,
            message: t.title,
          })
          .onConflictDoNothing();
      });
    },

    /**
     * Writes a task action and its audit event (and, for a forward, the action request). The row
     * changes only over an older version, so a retried write that lands late never undoes a newer
     * one; the event and notification are keyed by the version, so a retry adds nothing twice.
     */
    async recordTaskAction(a: {
      taskId: string;
      version: number;
      status: TaskStatus;
      assignee: string | null;
      group: string;
      outcome: unknown;
      event: { action: string; actor: string; details: unknown };
    }): Promise<void> {
      const now = new Date();
      await db.transaction(async (tx) => {
        const [before] = await tx
          .select({ group: tasks.group, subjectType: tasks.subjectType, subjectId: tasks.subjectId, title: tasks.title })
          .from(tasks)
          .where(eq(tasks.id, a.taskId));
        await tx
          .update(tasks)
          .set({ status: a.status, assignee: a.assignee, group: a.group, outcome: a.outcome ?? null, version: a.version, updatedAt: now })
          .where(and(eq(tasks.id, a.taskId), lt(tasks.version, a.version)));
        await tx
          .insert(taskEvents)
          .values({
            taskId: a.taskId,
            version: a.version,
            action: a.event.action,
            actor: a.event.actor,
            at: now,
            details: a.event.details ?? null,
          })
          .onConflictDoNothing();
        if (a.event.action === 'forward') {
          const recipient = a.assignee ? `person:${a.assignee}` : `group:${a.group}`;
          const message = (a.event.details as { message?: string } | null)?.message;
          await tx
            .insert(notifications)
            .values({
              id: `${a.taskId}:forward:${a.version}`,
              kind: 'actionRequest',
              recipient,
              subjectType: before!.subjectType,
              subjectId: before!.subjectId,
              message: message ? `${before!.title}: ${message}` : before!.title,
            })
            .onConflictDoNothing();
        }
      });
    },
  };
}
