import { and, arrayContains, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { taskActions, taskKinds, taskStatuses } from '../../domain/vocabulary.js';
import { groupName, taskId } from '../../domain/values.js';
import { notificationView, taskView } from '../../domain/views.js';
import { apiKeys, tasks } from '../../db/schema.js';
import { listNotifications, listTasks, loadTaskView } from '../../db/views.js';
import { applyTaskAction, taskActionUpdate } from '../../workflows/inbox.contract.js';
import { taskActionBodies, taskOutcomes, type TaskActionRequest } from '../../domain/task-commands.js';
import type { Principal } from '../auth.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';
import { listQuery, sendPage } from '../paging.js';

const workers = ['backoffice', 'admin'] as const;
const readers = ['backoffice', 'admin', 'support'] as const;
const taskIdParam = z.object({ id: taskId });

/** A back-office key sees only its own groups' tasks; anything else is "not found". */
const visibleTo = (p: Principal, group: string) => p.role !== 'backoffice' || p.groups.includes(group);

/** Whose notifications a key may read: a customer its own, back office its groups' and its own; others all. */
function recipientsFor(p: Principal): string[] | undefined {
  if (p.role === 'customer') return [`customer:${p.customerId}`];
  if (p.role === 'backoffice') return [...p.groups.map((g) => `group:${g}`), `person:${p.keyId}`];
  return undefined;
}

export const taskRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app;

  /** A forwarded task must reach an inbox someone works, or a person who may work it: never strand it. */
  async function checkReceiver(group: string, r: TaskActionRequest) {
    const toGroup = r.toGroup ?? group;
    const active = and(isNull(apiKeys.revokedAt), eq(apiKeys.role, 'backoffice'), arrayContains(apiKeys.groups, [toGroup]));
    if (r.toGroup && (await db.$count(apiKeys, active)) === 0) {
      throw new DomainError('UNKNOWN_GROUP', `No back-office key works group ${r.toGroup}: the task would reach no one`);
    }
    const isKeyId = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    if (r.toAssignee && (!isKeyId(r.toAssignee) || (await db.$count(apiKeys, and(active, eq(apiKeys.id, r.toAssignee)))) === 0)) {
      throw new DomainError('UNKNOWN_ASSIGNEE', `${r.toAssignee} is no active back-office key of group ${toGroup}`);
    }
  }

  app.get(
    '/tasks',
    {
      config: { roles: readers },
      schema: {
        tags: ['tasks'],
        summary: "The inbox: a back-office key sees its own groups' tasks",
        querystring: listQuery({
          status: z.enum(taskStatuses).optional(),
          group: groupName.optional(),
          kind: z.enum(taskKinds).optional(),
          assignee: z.literal('me').optional(),
          subject: z.string().max(200).optional().describe('The order, case or recall id'),
        }),
        response: { 200: z.array(taskView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { query: q, principal: p } = request;
      const page = await listTasks(
        db,
        {
          status: q.status,
          group: q.group,
          kind: q.kind,
          assignee: q.assignee ? p.keyId : undefined,
          subjectId: q.subject,
          onlyGroups: p.role === 'backoffice' ? p.groups : undefined,
        },
        q,
      );
      return sendPage(reply, page);
    },
  );

  app.get(
    '/tasks/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['tasks'],
        summary: 'One task with its audit trail',
        params: taskIdParam,
        response: { 200: taskView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const task = await loadTaskView(db, request.params.id);
      if (!task || !visibleTo(request.principal, task.group)) throw new DomainError('TASK_NOT_FOUND', `No task ${request.params.id}`);
      return task;
    },
  );

  for (const action of taskActions) {
    app.post(
      `/tasks/:id/${action}`,
      {
        config: { roles: workers },
        schema: {
          tags: ['tasks'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a task; answers with the task once its row is written`,
          params: taskIdParam,
          body: taskActionBodies[action],
          response: { 200: taskView, 404: errorBody, 409: errorBody, 422: errorBody, ...commonErrorResponses },
        },
      },
      async (request) => {
        const id = request.params.id;
        const [row] = await db
          .select({
            id: tasks.id,
            kind: tasks.kind,
            group: tasks.group,
            assignee: tasks.assignee,
            status: tasks.status,
            version: tasks.version,
            workflowId: tasks.workflowId,
          })
          .from(tasks)
          .where(eq(tasks.id, id));
        // Another group's task does not exist for this key: 404, exactly as its GET answers.
        if (!row || !visibleTo(request.principal, row.group)) throw new DomainError('TASK_NOT_FOUND', `No task ${id}`);
        const { keyId, role, groups } = request.principal;
        const body = (request.body ?? {}) as Omit<TaskActionRequest, 'taskId' | 'action' | 'actor'>;
        const actionRequest: TaskActionRequest = { taskId: id, action, actor: { keyId, role, groups }, ...body };
        // The rule answers from the row first (a closed task's workflow may have finished, and a
        // conflict is a 409 whatever the outcome); the outcome's shape comes next; the workflow
        // checks the rule again against its own state.
        const verdict = applyTaskAction(row, { ...actionRequest, outcome: undefined });
        if (!verdict.ok && verdict.code !== 'INVALID_OUTCOME') throw new DomainError(verdict.code, verdict.message);
        if (action === 'forward') await checkReceiver(row.group, actionRequest);
        if (action === 'complete') {
          const parsed = taskOutcomes[row.kind].safeParse(body.outcome);
          if (!parsed.success) {
            const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
            throw new DomainError(
              'INVALID_OUTCOME',
              `Invalid outcome for a ${row.kind} task: ${issues.map((i) => `${i.path || '(outcome)'} ${i.message}`).join('; ')}`,
              { issues },
            );
          }
          actionRequest.outcome = parsed.data;
        }
        await temporal.client.workflow.getHandle(row.workflowId).executeUpdate(taskActionUpdate, { args: [actionRequest] });
        return (await loadTaskView(db, id))!;
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
        querystring: listQuery({
          recipient: z.string().max(200).optional().describe('group:<name>, customer:<id> or person:<key id>'),
          subject: z.string().max(200).optional(),
          kind: z.string().max(64).optional(),
        }),
        response: { 200: z.array(notificationView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { query: q, principal: p } = request;
      return sendPage(
        reply,
        await listNotifications(db, { recipient: q.recipient, among: recipientsFor(p), subjectId: q.subject, kind: q.kind }, q),
      );
    },
  );
};
