import { and, arrayContains, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { taskActions, taskKinds, taskStatuses } from '../../domain/vocabulary.js';
import { groupName, taskId } from '../../domain/values.js';
import { notificationView, taskView } from '../../domain/views.js';
import { apiKeys, taskEvents, tasks } from '../../db/schema.js';
import { listNotifications, listTasks, loadTaskView } from '../../db/views.js';
import { applyTaskAction, taskActionUpdate } from '../../workflows/inbox.contract.js';
import { taskActionBodies, taskOutcomes, type TaskActionRequest } from '../../domain/task-commands.js';
import type { Principal } from '../auth.js';
import { commandUpdateId, giveAgain, idempotencyKeyHeader, runCommand, sameRequest } from '../commands.js';
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

  /**
   * Whether the change that made the task's current version was this action by this key, with
   * these details (as the workflow records them in its audit event): a resend of one taken.
   */
  async function madeTheTask(taskId: string, action: string, actor: string, details: object): Promise<boolean> {
    const [latest] = await db
      .select({ action: taskEvents.action, actor: taskEvents.actor, details: taskEvents.details })
      .from(taskEvents)
      .innerJoin(tasks, and(eq(tasks.id, taskEvents.taskId), eq(tasks.version, taskEvents.version)))
      .where(eq(taskEvents.taskId, taskId));
    return latest?.action === action && latest.actor === actor && sameRequest(latest.details, details);
  }

  for (const action of taskActions) {
    app.post(
      `/tasks/:id/${action}`,
      {
        config: { roles: workers },
        schema: {
          tags: ['tasks'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a task; answers with the task once its row is written`,
          params: taskIdParam,
          headers: idempotencyKeyHeader,
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
        const { keyId, role, groups } = request.principal;
        const body = (request.body ?? {}) as Omit<TaskActionRequest, 'taskId' | 'action' | 'actor'>;
        const actionRequest: TaskActionRequest = { taskId: id, action, actor: { keyId, role, groups }, ...body };
        const outcome = action === 'complete' && row ? taskOutcomes[row.kind].safeParse(body.outcome) : undefined;
        // What the workflow records of the action in its audit event.
        const details = { toGroup: body.toGroup, toAssignee: body.toAssignee, message: body.message, outcome: outcome?.data };
        /** The action as an update; claim, release, claim is a task's ordinary life: its version tells the second claim from the first. */
        const send = async (version: number) => {
          if (outcome?.success) actionRequest.outcome = outcome.data;
          const updateId = commandUpdateId({
            name: action,
            subject: id,
            request: { actor: keyId, ...body },
            revision: version,
            idempotencyKey: request.headers['idempotency-key'],
            caller: keyId,
          });
          await temporal.client.workflow.getHandle(row!.workflowId).executeUpdate(taskActionUpdate, { args: [actionRequest], updateId });
        };
        await runCommand(
          async () => {
            // Another group's task does not exist for this key: 404, exactly as its GET answers.
            if (!row || !visibleTo(request.principal, row.group)) throw new DomainError('TASK_NOT_FOUND', `No task ${id}`);
            // The rule answers from the row first (a closed task's workflow may have finished, and a
            // conflict is a 409 whatever the outcome); the outcome's shape comes next; the workflow
            // checks the rule again against its own state.
            const verdict = applyTaskAction(row, { ...actionRequest, outcome: undefined });
            if (!verdict.ok && verdict.code !== 'INVALID_OUTCOME') throw new DomainError(verdict.code, verdict.message);
            // A claim by the holder changes nothing (a claim sent again, say): no new version, no audit event.
            if (action === 'claim' && row.assignee === keyId) return;
            if (action === 'forward') await checkReceiver(row.group, actionRequest);
            if (outcome && !outcome.success) {
              const issues = outcome.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
              throw new DomainError(
                'INVALID_OUTCOME',
                `Invalid outcome for a ${row.kind} task: ${issues.map((i) => `${i.path || '(outcome)'} ${i.message}`).join('; ')}`,
                { issues },
              );
            }
            await send(row.version);
          },
          async () => {
            if (!(await madeTheTask(id, action, keyId, details))) return false;
            // The first request read the version before the one it made.
            await giveAgain(() => send(row!.version - 1));
            return true;
          },
        );
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
