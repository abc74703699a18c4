import type { WorkflowHandle } from '@temporalio/client';
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { orderStates, productOrders } from '../../db/schema.js';
import { loadOrderView, loadOrderViews } from '../../db/views.js';
import { acceptanceUpdate, cancelOrderUpdate, orderWorkflowId } from '../../workflows/order.contract.js';
import type { Principal } from '../auth.js';
import { DomainError, commonErrorResponses, errorBody, type ErrorCode } from '../errors.js';
import { orderIdFor, orderRequest, submitOrder } from '../order-entry.js';

const orderView = z.looseObject({ id: z.string(), state: z.enum(orderStates), customerId: z.string() }).meta({ id: 'ProductOrder', description: 'Items, totals, TMF622 state, milestones, open tasks and RFBs' });
const orderId = z.object({ id: z.string().regex(/^ORD-[0-9A-F]{16}$/, 'an order id such as ORD-0123456789ABCDEF') });
const readers = ['agent', 'customer', 'backoffice', 'billing', 'support', 'admin'] as const;

/** A customer key sees only its own orders; anything else is "not found", not "forbidden". */
export async function visibleOrder(app: { deps: { database: { db: Parameters<typeof loadOrderView>[0] } } }, principal: Principal, id: string) {
  const order = await loadOrderView(app.deps.database.db, id);
  if (!order || (principal.role === 'customer' && order.customerId !== principal.customerId)) throw new DomainError('ORDER_NOT_FOUND', `No order ${id}`);
  return order;
}

export const productOrderRoutes: FastifyPluginAsyncZod = async (app) => {
  const { database, temporal, orders } = app.deps;

  /** Sends an update to an order the caller may see and that is still open; answers with the order after it. */
  async function updateOpenOrder(principal: Principal, id: string, closedCode: ErrorCode, send: (handle: WorkflowHandle, actor: string) => Promise<unknown>) {
    const order = await visibleOrder(app, principal, id);
    if (order.state === 'completed' || order.state === 'cancelled') throw new DomainError(closedCode, `Order ${order.id} is ${order.state}`);
    await send(temporal.client.workflow.getHandle(orderWorkflowId(order.id)), `${principal.role}:${principal.keyId}`);
    return (await loadOrderView(database.db, order.id))!;
  }

  app.post(
    '/productOrders',
    {
      config: { roles: ['agent', 'customer'] },
      schema: {
        tags: ['productOrders'],
        summary: 'Enter an order: customer and contact found or registered, cart checked and priced, provisioning started',
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        body: orderRequest,
        response: { 200: orderView, 201: orderView, 404: errorBody, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { principal, body } = request;
      if (principal.role === 'customer' && !('id' in body.customer && body.customer.id === principal.customerId)) {
        throw new DomainError('FORBIDDEN', `A customer key orders for its own customer: send customer { "id": "${principal.customerId}" }`);
      }
      const id = orderIdFor(body, request.headers['idempotency-key'], principal.keyId);
      const existing = await loadOrderView(database.db, id);
      if (existing) return reply.code(200).send(existing);
      const order = await submitOrder({ db: database.db, client: temporal.client, ...orders }, id, body);
      return reply.code(201).header('location', `/api/v1/productOrders/${id}`).send(order);
    },
  );

  app.get(
    '/productOrders',
    {
      config: { roles: readers },
      schema: {
        tags: ['productOrders'],
        summary: 'Orders, newest first',
        querystring: z.object({
          state: z.enum(orderStates).optional(),
          customerId: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.array(orderView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { state, limit, offset } = request.query;
      const customerId = request.principal.role === 'customer' ? request.principal.customerId! : request.query.customerId;
      const where = and(
        state ? eq(productOrders.state, state) : undefined,
        customerId ? eq(productOrders.customerId, customerId) : undefined,
      );
      const [ids, total] = await Promise.all([
        database.db.select({ id: productOrders.id }).from(productOrders).where(where).orderBy(desc(productOrders.submittedAt), desc(productOrders.id)).limit(limit).offset(offset),
        database.db.$count(productOrders, where),
      ]);
      return reply.header('x-total-count', total).send(await loadOrderViews(database.db, ids.map((r) => r.id)));
    },
  );

  app.get(
    '/productOrders/:id',
    { config: { roles: readers }, schema: { tags: ['productOrders'], summary: 'One order', params: orderId, response: { 200: orderView, 404: errorBody, ...commonErrorResponses } } },
    async (request) => visibleOrder(app, request.principal, request.params.id),
  );

  app.post(
    '/productOrders/:id/acceptance',
    {
      config: { roles: ['customer', 'agent'] },
      schema: {
        tags: ['productOrders'],
        summary: "The customer's acceptance of phase 1 or 2 (an agent may record it on the customer's behalf)",
        params: orderId,
        body: z.object({ phase: z.union([z.literal(1), z.literal(2)]), decision: z.enum(['accepted', 'rejected']), comment: z.string().max(2000).optional() }).strict(),
        response: { 200: orderView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request) =>
      updateOpenOrder(request.principal, request.params.id, 'ACCEPTANCE_NOT_EXPECTED', (handle, actor) =>
        handle.executeUpdate(acceptanceUpdate, { args: [{ ...request.body, actor }] }),
      ),
  );

  app.post(
    '/productOrders/:id/cancel',
    {
      config: { roles: ['agent', 'customer', 'admin'] },
      schema: {
        tags: ['productOrders'],
        summary: 'Cancel an order before completion: what was done is undone in reverse (RFBs withdrawn, tasks cancelled, activations reversed)',
        params: orderId,
        body: z.object({ reason: z.string().min(1).max(2000) }).strict(),
        response: { 200: orderView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request) =>
      updateOpenOrder(request.principal, request.params.id, 'ORDER_CLOSED', (handle, actor) =>
        handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: request.body.reason, actor }] }),
      ),
  );
};
