import { and, asc, eq, inArray } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notifications, taskStatuses, tasks } from '../../db/schema.js';
import { loadTaskView, loadTaskViews } from '../../db/views.js';
import { taskActionUpdate, taskOutcomes, type TaskAction } from '../../workflows/inbox.contract.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const taskView = z.looseObject({ id: z.string(), kind: z.string(), group: z.string(), status: z.enum(taskStatuses), assignee: z.string().nullable() }).meta({ id: 'Task' });
const taskIdParam = z.object({ id: z.string().min(1).max(300) });
const workers = ['backoffice', 'admin'] as const;
const readers = ['backoffice', 'admin', 'support'] as const;

const actionBodies: Record<TaskAction, z.ZodType> = {
  claim: z.object({}).strict().default({}),
  release: z.object({}).strict().default({}),
  start: z.object({}).strict().default({}),
  forward: z
    .object({ toGroup: z.string().regex(/^[a-z][a-zA-Z0-9-]{0,63}$/).optional(), toAssignee: z.string().max(200).optional(), message: z.string().min(1).max(2000) })
    .strict()
    .refine((f) => f.toGroup || f.toAssignee, { message: 'give toGroup, toAssignee or both' }),
  complete: z.object({ outcome: z.unknown().describe(`Per task kind: ${Object.keys(taskOutcomes).join(', ')}`) }).strict(),
};

export const taskRoutes: FastifyPluginAsyncZod = async (app) => {
  const { database, temporal } = app.deps;
  const { db } = database;

  app.get(
    '/tasks',
    {
      config: { roles: readers },
      schema: {
        tags: ['tasks'],
        summary: "The inbox: a back-office key sees its own groups' tasks",
        querystring: z.object({
          status: z.enum(taskStatuses).optional(),
          group: z.string().max(64).optional(),
          kind: z.string().max(64).optional(),
          assignee: z.literal('me').optional(),
          subject: z.string().max(200).optional().describe('The order, case or recall id'),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.array(taskView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const p = request.principal;
      const where = and(
        q.status ? eq(tasks.status, q.status) : undefined,
        q.group ? eq(tasks.group, q.group) : undefined,
        q.kind ? eq(tasks.kind, q.kind) : undefined,
        q.assignee ? eq(tasks.assignee, p.keyId) : undefined,
        q.subject ? eq(tasks.subjectId, q.subject) : undefined,
        // A back-office key sees only its own groups' tasks.
        p.role === 'backoffice' ? inArray(tasks.group, p.groups.length ? p.groups : ['']) : undefined,
      );
      const [ids, total] = await Promise.all([
        db.select({ id: tasks.id }).from(tasks).where(where).orderBy(asc(tasks.priority), asc(tasks.dueAt), asc(tasks.id)).limit(q.limit).offset(q.offset),
        db.$count(tasks, where),
      ]);
      return reply.header('x-total-count', total).send(await loadTaskViews(db, ids.map((r) => r.id)));
    },
  );

  app.get(
    '/tasks/:id',
    { config: { roles: readers }, schema: { tags: ['tasks'], summary: 'One task with its audit trail', params: taskIdParam, response: { 200: taskView, 404: errorBody, ...commonErrorResponses } } },
    async (request) => {
      const task = await loadTaskView(db, request.params.id);
      if (!task || (request.principal.role === 'backoffice' && !request.principal.groups.includes(task.group))) throw new DomainError('TASK_NOT_FOUND', `No task ${request.params.id}`);
      return task;
    },
  );

  for (const action of Object.keys(actionBodies) as TaskAction[]) {
    app.post(
      `/tasks/:id/${action}`,
      {
        config: { roles: workers },
        schema: {
          tags: ['tasks'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a task; answers with the task once its row is written`,
          params: taskIdParam,
          body: actionBodies[action],
          response: { 200: taskView, 404: errorBody, 409: errorBody, 422: errorBody, ...commonErrorResponses },
        },
      },
      async (request) => {
        const [row] = await db.select({ workflowId: tasks.workflowId, status: tasks.status }).from(tasks).where(eq(tasks.id, request.params.id));
        if (!row) throw new DomainError('TASK_NOT_FOUND', `No task ${request.params.id}`);
        // A closed task's workflow may have finished: answer from the row rather than ask it.
        if (row.status === 'completed') throw new DomainError('TASK_ALREADY_COMPLETED', `Task ${request.params.id} is already completed`);
        if (row.status === 'cancelled') throw new DomainError('TASK_STATE_CONFLICT', `Task ${request.params.id} was cancelled`);
        const { keyId, role, groups } = request.principal;
        const body = (request.body ?? {}) as { toGroup?: string; toAssignee?: string; message?: string; outcome?: unknown };
        return temporal.client.workflow
          .getHandle(row.workflowId)
          .executeUpdate(taskActionUpdate, { args: [{ taskId: request.params.id, action, actor: { keyId, role, groups }, ...body }] });
      },
    );
  }

  app.get(
    '/notifications',
    {
      config: { roles: ['backoffice', 'agent', 'support', 'admin', 'customer'] },
      schema: {
        tags: ['notifications'],
        summary: 'Recorded notifications (inbox items, reminders, action requests, missed deadlines)',
        querystring: z.object({
          recipient: z.string().max(200).optional().describe('group:<name>, customer:<id> or person:<key id>'),
          subject: z.string().max(200).optional(),
          kind: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.array(z.object({ id: z.string(), kind: z.string(), recipient: z.string(), subjectType: z.string(), subjectId: z.string(), message: z.string(), createdAt: z.date() })), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const recipient = request.principal.role === 'customer' ? `customer:${request.principal.customerId}` : q.recipient;
      const where = and(
        recipient ? eq(notifications.recipient, recipient) : undefined,
        q.subject ? eq(notifications.subjectId, q.subject) : undefined,
        q.kind ? eq(notifications.kind, q.kind) : undefined,
      );
      const [rows, total] = await Promise.all([
        db.select().from(notifications).where(where).orderBy(asc(notifications.createdAt), asc(notifications.id)).limit(q.limit).offset(q.offset),
        db.$count(notifications, where),
      ]);
      return reply.header('x-total-count', total).send(rows);
    },
  );
};
