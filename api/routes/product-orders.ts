import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptanceDetail, closedOrderStates, orderStates } from '../../domain/vocabulary.js';
import { customerId, orderId } from '../../domain/values.js';
import { orderView, type OrderView } from '../../domain/views.js';
import type { Db } from '../../db/client.js';
import { productOrders } from '../../db/schema.js';
import { listOrders, loadOrderView } from '../../db/views.js';
import { acceptanceUpdate, acceptanceVerdict, orderWorkflowId } from '../../workflows/order.contract.js';
import { acceptanceBody } from '../../domain/order-commands.js';
import type { Principal } from '../auth.js';
import { commandUpdateId, idempotencyKeyHeader, runCommand } from '../commands.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';
import { orderIdFor, orderRequest, refuseReusedKey, requestHashOf, resolveCustomer, sendEntryAnswer, submitOrder } from '../order-entry.js';
import { listQuery, sendPage } from '../paging.js';

const orderIdParam = z.object({ id: orderId });
const orderPending = z
  .object({ id: orderId, message: z.string() })
  .meta({ id: 'ProductOrderPending', description: 'Accepted, not yet written: read the order at the Location' });
const readers = ['agent', 'customer', 'backoffice', 'billing', 'support', 'admin'] as const;

/** A customer key sees only its own orders; anything else is "not found", not "forbidden". */
export async function visibleOrder(db: Db, principal: Principal, id: string): Promise<OrderView> {
  const order = await loadOrderView(db, id);
  if (!order || (principal.role === 'customer' && order.customerId !== principal.customerId))
    throw new DomainError('ORDER_NOT_FOUND', `No order ${id}`);
  return order;
}

export const productOrderRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app;

  app.post(
    '/productOrders',
    {
      config: { roles: ['agent', 'customer'] },
      schema: {
        tags: ['productOrders'],
        summary: 'Enter an order: customer and contact found or registered, cart checked and priced, provisioning started',
        headers: idempotencyKeyHeader,
        body: orderRequest,
        response: {
          200: orderView,
          201: orderView,
          202: orderPending,
          404: errorBody,
          409: errorBody,
          422: errorBody,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { principal, body } = request;
      if (principal.role === 'customer' && !('id' in body.customer && body.customer.id === principal.customerId)) {
        throw new DomainError('FORBIDDEN', `A customer key orders for its own customer: send customer { "id": "${principal.customerId}" }`);
      }
      const idempotencyKey = request.headers['idempotency-key'];
      const customer = await resolveCustomer(db, body);
      const id = orderIdFor(customer, body, idempotencyKey, principal.keyId);
      const location = `/api/v1/productOrders/${id}`;
      const keyRef = idempotencyKey ? `${principal.keyId}:${idempotencyKey}` : null;
      await refuseReusedKey(db, productOrders, keyRef, id, requestHashOf(body), idempotencyKey, 'order');
      // An externalId names the order: a repeat answers with it.
      const [existing] = await db.select({ id: productOrders.id }).from(productOrders).where(eq(productOrders.id, id));
      if (existing) return reply.code(200).send((await loadOrderView(db, id))!);
      const answer = await submitOrder({ db, client: temporal.client, ...app.orders }, id, customer, body, keyRef);
      return sendEntryAnswer(reply, answer, { id, what: 'Order', location, view: () => loadOrderView(db, id) });
    },
  );

  app.get(
    '/productOrders',
    {
      config: { roles: readers },
      schema: {
        tags: ['productOrders'],
        summary: 'Orders, newest first',
        querystring: listQuery({ state: z.enum(orderStates).optional(), customerId: customerId.optional() }),
        response: { 200: z.array(orderView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { state } = request.query;
      const customer = request.principal.role === 'customer' ? request.principal.customerId! : request.query.customerId;
      return sendPage(reply, await listOrders(db, { state, customerId: customer }, request.query));
    },
  );

  app.get(
    '/productOrders/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['productOrders'],
        summary: 'One order',
        params: orderIdParam,
        response: { 200: orderView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => visibleOrder(db, request.principal, request.params.id),
  );

  app.post(
    '/productOrders/:id/acceptance',
    {
      config: { roles: ['customer', 'agent'] },
      schema: {
        tags: ['productOrders'],
        summary: "The customer's acceptance of phase 1 or 2 (an agent may record it on the customer's behalf)",
        params: orderIdParam,
        headers: idempotencyKeyHeader,
        body: acceptanceBody,
        response: { 200: orderView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { principal, body } = request;
      const order = await visibleOrder(db, principal, request.params.id);
      const decision = { ...body, actor: `${principal.role}:${principal.keyId}` };
      const milestone = `acceptance${body.phase}` as const;
      await runCommand(
        async () => {
          // A closed order's workflow may have finished: its row answers by the same rule.
          if (closedOrderStates.includes(order.state)) {
            const verdict = acceptanceVerdict({ orderId: order.id, awaitedAcceptance: null }, body.phase);
            if (!verdict.ok) throw new DomainError(verdict.code, verdict.message);
          }
          // A customer may rightly send the same decision twice (a rejection, the step retried in
          // fallout, a rejection again): each answers a wait of its own, begun at the milestone's time.
          const updateId = commandUpdateId({
            name: 'acceptance',
            subject: order.id,
            request: decision,
            revision: order.milestones[milestone].at,
            idempotencyKey: request.headers['idempotency-key'],
            caller: principal.keyId,
          });
          await temporal.client.workflow
            .getHandle(orderWorkflowId(order.id))
            .executeUpdate(acceptanceUpdate, { args: [decision], updateId });
        },
        // No longer awaited, it is a resend when the milestone records this very decision.
        async () => (await loadOrderView(db, order.id))?.milestones[milestone].detail === acceptanceDetail(decision),
      );
      return (await loadOrderView(db, order.id))!;
    },
  );
};
