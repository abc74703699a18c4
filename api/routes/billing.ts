import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rfbStatuses } from '../../domain/vocabulary.js';
import { rfbView } from '../../domain/views.js';
import { rfbs } from '../../db/schema.js';
import { listRfbs, loadRfbView } from '../../db/views.js';
import { orderWorkflowId, rfbAcknowledgementUpdate, rfbAcknowledgementVerdict } from '../../workflows/order.contract.js';
import { rfbAcknowledgement } from '../../domain/order-commands.js';
import { commandUpdateId, idempotencyKeyHeader, runCommand } from '../commands.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';
import { listQuery, sendPage } from '../paging.js';

export const billingRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app;

  app.get(
    '/billing/readyForBilling',
    {
      config: { roles: ['billing', 'support', 'admin'] },
      schema: {
        tags: ['billing'],
        summary: 'RFBs; with BILLING_ADAPTER=pull the billing system reads ?status=sent',
        querystring: listQuery({ status: z.enum(rfbStatuses).optional() }),
        response: { 200: z.array(rfbView), ...commonErrorResponses },
      },
    },
    async (request, reply) => sendPage(reply, await listRfbs(db, { status: request.query.status }, request.query)),
  );

  app.post(
    '/billing/acknowledgements',
    {
      config: { roles: ['billing'] },
      schema: {
        tags: ['billing'],
        summary: "The billing system's acknowledgement of an RFB; billing starts only after it. A repeat answers 200 with the same result",
        headers: idempotencyKeyHeader,
        body: rfbAcknowledgement,
        response: { 200: rfbView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const ack = request.body;
      const rfbRow = async () =>
        (
          await db
            .select({ id: rfbs.id, orderId: rfbs.orderId, phase: rfbs.phase, status: rfbs.status })
            .from(rfbs)
            .where(eq(rfbs.id, ack.rfbId))
        )[0];
      // The same rule as the workflow's, against the row: a duplicate is answered without a second update.
      const isDuplicate = async () => {
        const verdict = rfbAcknowledgementVerdict(await rfbRow(), ack);
        return verdict.ok && verdict.duplicate;
      };
      await runCommand(async () => {
        const rfb = await rfbRow();
        const verdict = rfbAcknowledgementVerdict(rfb, ack);
        if (!verdict.ok) throw new DomainError(verdict.code, verdict.message);
        // A duplicate by the row goes to the workflow too, under the same update id: Temporal answers
        // with the stored outcome, or, when the update was lost with a Temporal server that died
        // before storing it (the worker had written the row), the workflow takes it now instead of
        // waiting on billing (as task actions do; `npm run chaos` found such orders).
        // An RFB is answered once (a rejected one is followed by a new RFB under a new id), so its
        // id and the answer name the request: acknowledgements racing with one answer are one update.
        const updateId = commandUpdateId({
          name: 'acknowledge',
          subject: ack.rfbId,
          request: { status: ack.status },
          revision: null,
          idempotencyKey: request.headers['idempotency-key'],
          caller: request.principal.keyId,
        });
        await temporal.client.workflow
          .getHandle(orderWorkflowId(rfb!.orderId))
          .executeUpdate(rfbAcknowledgementUpdate, { args: [ack], updateId });
      }, isDuplicate);
      return (await loadRfbView(db, ack.rfbId))!;
    },
  );
};
