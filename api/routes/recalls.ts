/**
 * Product recalls (seed 004, APQC 6.4): initiation and the commands on the recall's workflow,
 * the recall with its counts, its notices and their answers, and its reports to the regulator.
 * Answers to notices are bulk data: written here, counted by the workflow (design section 1).
 * A customer sees only its own notices, and a recall only when it is one of its parties.
 */
import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordNoticeResponse } from '../../db/recalls.js';
import { recallNotices, recalls } from '../../db/schema.js';
import { listRecallNotices, listRecallReports, listRecalls, loadRecallView } from '../../db/views.js';
import { noticeResponseRequest, recallCommandBodies, recallRequest } from '../../domain/recall-commands.js';
import { recallCommandVerdict, recallCommands } from '../../domain/recalls.js';
import { noticeResponses, recallIdPattern, recallStatuses, type Role } from '../../domain/vocabulary.js';
import { recallNoticeView, recallReportView, recallView, type RecallView } from '../../domain/views.js';
import { productSafetyGroup, recallCommandUpdate, recallWorkflowId } from '../../workflows/recall.contract.js';
import type { Principal } from '../auth.js';
import { commandUpdateId, giveAgain, idempotencyKeyHeader, runCommand } from '../commands.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';
import { refuseReusedKey, requestHashOf, sendEntryAnswer } from '../order-entry.js';
import { listQuery, sendPage } from '../paging.js';
import { checkRecall, recallIdFor, submitRecall } from '../recall-entry.js';

const recallIdParam = z.object({ id: z.string().regex(recallIdPattern, 'a recall id such as RCL-0123456789ABCDEF') });
const recallPending = z
  .object({ id: z.string(), message: z.string() })
  .meta({ id: 'RecallPending', description: 'Accepted, not yet written: read the recall at the Location' });
/** Who runs a recall: admins, and the back office of product safety. */
const recallOwners = ['admin', 'backoffice'] as const satisfies readonly Role[];
const readers = ['agent', 'backoffice', 'support', 'admin'] as const satisfies readonly Role[];

function requireProductSafety(principal: Principal) {
  if (principal.role === 'backoffice' && !principal.groups.includes(productSafetyGroup))
    throw new DomainError('NOT_IN_GROUP', `Recalls are run by ${productSafetyGroup}, which this key is not in`);
}

export const recallRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app;

  /** The recall, as `principal` may see it: a customer only one it is a party to (another is a 404, as if it did not exist). */
  async function visibleRecall(principal: Principal, id: string): Promise<RecallView> {
    const found = await loadRecallView(db, id);
    if (found && principal.role === 'customer') {
      const [party] = await db
        .select({ id: recallNotices.id })
        .from(recallNotices)
        .where(and(eq(recallNotices.recallId, id), eq(recallNotices.customerId, principal.customerId!)));
      if (!party) throw new DomainError('RECALL_NOT_FOUND', `No recall ${id}`);
    }
    if (!found) throw new DomainError('RECALL_NOT_FOUND', `No recall ${id}`);
    return found;
  }

  app.post(
    '/recalls',
    {
      config: { roles: recallOwners },
      schema: {
        tags: ['recalls'],
        summary: 'Initiate a recall: the affected parties are found at once; product safety assesses the hazard next',
        headers: idempotencyKeyHeader,
        body: recallRequest,
        response: { 200: recallView, 201: recallView, 202: recallPending, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { principal, body } = request;
      requireProductSafety(principal);
      await checkRecall(db, body);
      const idempotencyKey = request.headers['idempotency-key'];
      const id = recallIdFor(body, idempotencyKey, principal.keyId);
      const keyRef = idempotencyKey ? `${principal.keyId}:${idempotencyKey}` : null;
      await refuseReusedKey(db, recalls, keyRef, id, requestHashOf(body), idempotencyKey, 'recall');
      const location = `/api/v1/recalls/${id}`;
      const [existing] = await db.select({ id: recalls.id }).from(recalls).where(eq(recalls.id, id));
      if (existing)
        return reply
          .code(200)
          .header('location', location)
          .send((await loadRecallView(db, id))!);
      const answer = await submitRecall({ client: temporal.client, ...app.recalls }, id, body, {
        idempotencyKey: keyRef,
        createdBy: `${principal.role}:${principal.keyId}`,
      });
      return sendEntryAnswer(reply, answer, { id, what: 'Recall', location, view: () => loadRecallView(db, id) });
    },
  );

  app.get(
    '/recalls',
    {
      config: { roles: readers },
      schema: {
        tags: ['recalls'],
        summary: 'Recalls, newest first',
        querystring: listQuery({ status: z.enum(recallStatuses).optional(), productId: z.string().max(100).optional() }),
        response: { 200: z.array(recallView), ...commonErrorResponses },
      },
    },
    async (request, reply) => sendPage(reply, await listRecalls(db, request.query, request.query)),
  );

  app.get(
    '/recalls/:id',
    {
      config: { roles: [...readers, 'customer'] },
      schema: {
        tags: ['recalls'],
        summary: 'One recall: status, class and its terms, counts { affected, notified, responded, remedied } and effectiveness',
        params: recallIdParam,
        response: { 200: recallView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => visibleRecall(request.principal, request.params.id),
  );

  app.get(
    '/recalls/:id/notices',
    {
      config: { roles: [...readers, 'customer'] },
      schema: {
        tags: ['recalls'],
        summary: "The recall's notices with their answers, in party order (a customer sees its own)",
        params: recallIdParam,
        querystring: listQuery({
          customerId: z.string().max(64).optional(),
          response: z
            .enum([...noticeResponses, 'none'])
            .optional()
            .describe('none: the parties that have not answered'),
        }),
        response: { 200: z.array(recallNoticeView), 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { principal, query } = request;
      await visibleRecall(principal, request.params.id);
      const customerId = principal.role === 'customer' ? principal.customerId! : query.customerId;
      return sendPage(reply, await listRecallNotices(db, request.params.id, { ...query, customerId }, query));
    },
  );

  app.post(
    '/recalls/:id/responses',
    {
      config: { roles: ['customer', 'agent', 'backoffice'] },
      schema: {
        tags: ['recalls'],
        summary: "A party's answer to its notice: 201 once recorded, 200 for the same answer again",
        params: recallIdParam,
        body: noticeResponseRequest,
        response: { 200: recallNoticeView, 201: recallNoticeView, 404: errorBody, 409: errorBody, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { principal, body } = request;
      const recall = await visibleRecall(principal, request.params.id);
      const [notice] = await db
        .select({ customerId: recallNotices.customerId })
        .from(recallNotices)
        .where(and(eq(recallNotices.id, body.noticeId), eq(recallNotices.recallId, recall.id)));
      // Another customer's notice is as unknown to a customer key as one that does not exist.
      if (!notice || (principal.role === 'customer' && notice.customerId !== principal.customerId))
        throw new DomainError('NOTICE_NOT_FOUND', `Recall ${recall.id} has no notice ${body.noticeId}`);
      if (recall.status === 'cancelled')
        throw new DomainError('RECALL_STATUS_CONFLICT', `Recall ${recall.id} was cancelled (raised in error): nothing to answer`);
      const recorded = await recordNoticeResponse(db, {
        noticeId: body.noticeId,
        response: body.response,
        quantity: body.quantity ?? null,
        by: `${principal.role}:${principal.keyId}`,
      });
      if (recorded === undefined) throw new DomainError('NOTICE_NOT_FOUND', `Notice ${body.noticeId} has not been sent yet`);
      if (typeof recorded === 'object' && 'held' in recorded)
        throw new DomainError(
          'QUANTITY_NOT_HELD',
          `The party has ${recorded.held} affected instance(s) not yet returned or remedied: it cannot have ${body.response} ${body.quantity}`,
          { held: recorded.held },
        );
      if (typeof recorded === 'object')
        throw new DomainError(
          'RESPONSE_CONFLICT',
          `Notice ${body.noticeId} already has the answer ${body.response} with quantity ${recorded.conflict ?? 'none'}`,
          { quantity: recorded.conflict },
        );
      const page = await listRecallNotices(db, recall.id, { customerId: notice.customerId }, { limit: 1, offset: 0 });
      return reply.code(recorded === 'created' ? 201 : 200).send(page.items[0]!);
    },
  );

  app.get(
    '/recalls/:id/reports',
    {
      config: { roles: ['backoffice', 'support', 'admin'] },
      schema: {
        tags: ['recalls'],
        summary: 'The status reports filed with the regulator, oldest first, and the final one',
        params: recallIdParam,
        querystring: listQuery({}),
        response: { 200: z.array(recallReportView), 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const recall = await visibleRecall(request.principal, request.params.id);
      return sendPage(reply, await listRecallReports(db, recall.id, request.query));
    },
  );

  for (const command of recallCommands) {
    app.post(
      `/recalls/:id/${command}`,
      {
        config: { roles: recallOwners },
        schema: {
          tags: ['recalls'],
          summary:
            command === 'cancel'
              ? 'Cancel a recall raised in error: the parties notified are told it is withdrawn'
              : 'Ask for termination: product safety decides (approved: terminated with a final report)',
          params: recallIdParam,
          headers: idempotencyKeyHeader,
          body: recallCommandBodies[command],
          response: { 200: recallView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
        },
      },
      async (request) => {
        const { principal } = request;
        requireProductSafety(principal);
        const found = await visibleRecall(principal, request.params.id);
        const actor = `${principal.role}:${principal.keyId}`;
        const { reason } = request.body;
        // Termination may rightly be asked for again with the same reason once product safety
        // refused it: the termination on record when asked tells the second request from the first.
        const send = () =>
          temporal.client.workflow.getHandle(recallWorkflowId(found.id)).executeUpdate(recallCommandUpdate, {
            args: [{ command, actor, reason }],
            updateId: commandUpdateId({
              name: command,
              subject: found.id,
              request: { actor, reason },
              revision: found.termination?.at ?? null,
              idempotencyKey: request.headers['idempotency-key'],
              caller: principal.keyId,
            }),
          });
        await runCommand(
          async () => {
            // An ended recall's workflow is gone: its row answers by the same rule.
            const verdict = recallCommandVerdict(found.id, found.status, command);
            if (!verdict.ok && (found.status === 'terminated' || found.status === 'cancelled'))
              throw new DomainError(verdict.code, verdict.message);
            await send();
          },
          // A resend of the request that made the recall what it is: cancelled, or awaiting the decision on this termination.
          async () => {
            const now = (await loadRecallView(db, found.id))!;
            const taken =
              command === 'cancel'
                ? now.status === 'cancelled' && now.cancellation?.by === actor && now.cancellation.reason === reason
                : now.status === 'terminationRequested' && now.termination?.requestedBy === actor && now.termination.reason === reason;
            // A cancel does not touch the termination on record, so a resent one goes under the first
            // one's update id. Cancelled in the rows alone, the recall refuses it from then on: only
            // given again does its workflow learn of it (a termination is refused by the workflow
            // itself, which has it then).
            if (taken) await giveAgain(send);
            return taken;
          },
        );
        return (await loadRecallView(db, found.id))!;
      },
    );
  }
};
