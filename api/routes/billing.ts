import { asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rfbStatuses, rfbs } from '../../db/schema.js';
import { rfbAcknowledgementUpdate, orderWorkflowId } from '../../workflows/order.contract.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const rfbView = z
  .object({
    id: z.string(),
    orderId: z.string(),
    phase: z.number(),
    status: z.enum(rfbStatuses),
    payload: z.unknown().describe('What billing needs: customer, billing account, items, prices, start date'),
    sentAt: z.date(),
    acknowledgedAt: z.date().nullable(),
    billingAccountId: z.string().nullable(),
    cycleStartDate: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'ReadyForBilling' });

export const billingRoutes: FastifyPluginAsyncZod = async (app) => {
  const { database, temporal } = app.deps;
  const { db } = database;

  app.get(
    '/billing/readyForBilling',
    {
      config: { roles: ['billing', 'support', 'admin'] },
      schema: {
        tags: ['billing'],
        summary: 'RFBs; with BILLING_ADAPTER=pull the billing system reads ?status=sent',
        querystring: z.object({ status: z.enum(rfbStatuses).optional(), limit: z.coerce.number().int().min(1).max(500).default(100), offset: z.coerce.number().int().min(0).default(0) }),
        response: { 200: z.array(rfbView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const where = request.query.status ? eq(rfbs.status, request.query.status) : undefined;
      const [rows, total] = await Promise.all([
        db.select().from(rfbs).where(where).orderBy(asc(rfbs.sentAt), asc(rfbs.id)).limit(request.query.limit).offset(request.query.offset),
        db.$count(rfbs, where),
      ]);
      return reply.header('x-total-count', total).send(rows);
    },
  );

  app.post(
    '/billing/acknowledgements',
    {
      config: { roles: ['billing'] },
      schema: {
        tags: ['billing'],
        summary: "The billing system's acknowledgement of an RFB; billing starts only after it. A repeat answers 200 with the same result",
        body: z
          .object({
            rfbId: z.string().min(1).max(200),
            status: z.enum(['accepted', 'rejected']),
            billingAccountId: z.string().max(64).optional(),
            cycleStartDate: z.iso.date().optional(),
            reason: z.string().max(2000).optional(),
          })
          .strict(),
        response: { 200: rfbView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const ack = request.body;
      const [rfb] = await db.select().from(rfbs).where(eq(rfbs.id, ack.rfbId));
      if (!rfb) throw new DomainError('RFB_NOT_FOUND', `No RFB ${ack.rfbId}`);
      if (rfb.status === 'withdrawn') throw new DomainError('RFB_WITHDRAWN', `RFB ${ack.rfbId} was withdrawn`);
      if (rfb.status === ack.status) return rfb; // the duplicate: same answer, no second update
      if (rfb.status !== 'sent') throw new DomainError('RFB_ALREADY_ACKNOWLEDGED', `RFB ${ack.rfbId} was already ${rfb.status}`);
      await temporal.client.workflow.getHandle(orderWorkflowId(rfb.orderId)).executeUpdate(rfbAcknowledgementUpdate, { args: [ack] });
      const [after] = await db.select().from(rfbs).where(eq(rfbs.id, ack.rfbId));
      return after!;
    },
  );
};
