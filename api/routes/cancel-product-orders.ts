/**
 * Cancellation as a TMF622 resource: a request is taken at once (201, acknowledged) and carried
 * out by the order's workflow (inProgress, then done); `POST /productOrders/{id}/cancel` is the
 * shortcut, answering 202 with the request.
 */
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancellationIdFor, closedOrderStates } from '../../domain/vocabulary.js';
import { orderId } from '../../domain/values.js';
import { cancelRequestView, type CancelRequestView } from '../../domain/views.js';
import { cancelBody } from '../../domain/order-commands.js';
import { loadCancelRequest } from '../../db/views.js';
import { cancelOrderUpdate, cancelVerdict, orderWorkflowId } from '../../workflows/order.contract.js';
import type { Principal } from '../auth.js';
import { commandUpdateId, idempotencyKeyHeader } from '../commands.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';
import { visibleOrder } from './product-orders.js';

const cancellers = ['agent', 'customer', 'admin'] as const;

/**
 * Takes a cancel for an order the caller may see. `own` tells whether the request on record is
 * this one (taken now, or sent before with the same reason by the same caller) or another's.
 */
export async function requestCancellation(
  app: FastifyInstance,
  principal: Principal,
  id: string,
  reason: string,
  idempotencyKey: string | undefined,
): Promise<{ request: CancelRequestView; own: boolean }> {
  const order = await visibleOrder(app.db, principal, id);
  const actor = `${principal.role}:${principal.keyId}`;
  const answer = (request: CancelRequestView) => ({ request, own: request.requestedBy === actor && request.cancellationReason === reason });
  const existing = await loadCancelRequest(app.db, { orderId: id });
  if (existing) return answer(existing);
  const verdict = cancelVerdict({ orderId: id, state: order.state, cancelRequested: false });
  if (!verdict.ok) {
    const why =
      order.state === 'completed'
        ? 'a completed order is terminated through a new order, not cancelled'
        : 'there is nothing left to cancel';
    throw new DomainError(verdict.code, `${verdict.message}: ${why}`);
  }
  // An order is cancelled once, whoever asks and why: the order names the update, so requests racing
  // for it are one (under an Idempotency-Key the key names it; a second is refused and answered below).
  const updateId = commandUpdateId({ name: 'cancel', subject: id, request: {}, revision: null, idempotencyKey, caller: principal.keyId });
  try {
    await app.temporal.client.workflow
      .getHandle(orderWorkflowId(id))
      .executeUpdate(cancelOrderUpdate, { args: [{ reason, actor }], updateId });
  } catch (err) {
    // Another request took the cancel first, or the order closed meanwhile: answer as if asked after.
    const taken = await loadCancelRequest(app.db, { orderId: id });
    if (taken) return answer(taken);
    const now = await visibleOrder(app.db, principal, id);
    if (closedOrderStates.includes(now.state))
      throw new DomainError('ORDER_CLOSED', `Order ${id} is ${now.state}: there is nothing left to cancel`);
    throw err;
  }
  const request = await loadCancelRequest(app.db, { orderId: id });
  if (request) return answer(request);
  // An order started before cancel requests were recorded answers its cancel only once done.
  const now = new Date().toISOString();
  const done = { id: cancellationIdFor(id), productOrder: { id }, cancellationReason: reason, requestedBy: actor, state: 'done' as const };
  return { request: { ...done, error: null, requestedAt: now, completedAt: now }, own: true };
}

export const cancelProductOrderRoutes: FastifyPluginAsyncZod = async (app) => {
  const location = (request: CancelRequestView) => `/api/v1/cancelProductOrder/${request.id}`;

  app.post(
    '/cancelProductOrder',
    {
      config: { roles: cancellers },
      schema: {
        tags: ['productOrders'],
        summary:
          'Ask for an order to be cancelled: taken at once, carried out in reverse (RFBs withdrawn, tasks cancelled, activations undone)',
        headers: idempotencyKeyHeader,
        body: z.object({ productOrder: z.object({ id: orderId }).strict(), cancellationReason: cancelBody.shape.reason }).strict(),
        response: { 200: cancelRequestView, 201: cancelRequestView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { productOrder, cancellationReason } = request.body;
      const taken = await requestCancellation(
        app,
        request.principal,
        productOrder.id,
        cancellationReason,
        request.headers['idempotency-key'],
      );
      // 201 for this request, also when it is sent again; 200 with the request already taken by another.
      return reply
        .code(taken.own ? 201 : 200)
        .header('location', location(taken.request))
        .send(taken.request);
    },
  );

  app.get(
    '/cancelProductOrder/:id',
    {
      config: { roles: [...cancellers, 'support'] },
      schema: {
        tags: ['productOrders'],
        summary: 'A cancel request: acknowledged, inProgress, done or terminatedWithError',
        params: z.object({ id: z.string().regex(/^CXL-[0-9A-F]{16}$/, 'a cancel request id such as CXL-0123456789ABCDEF') }),
        response: { 200: cancelRequestView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const found = await loadCancelRequest(app.db, { id: request.params.id });
      if (!found) throw new DomainError('CANCEL_REQUEST_NOT_FOUND', `No cancel request ${request.params.id}`);
      // A customer sees only its own orders' requests: another's is "not found" too.
      await visibleOrder(app.db, request.principal, found.productOrder.id).catch((err: unknown) => {
        if (err instanceof DomainError) throw new DomainError('CANCEL_REQUEST_NOT_FOUND', `No cancel request ${request.params.id}`);
        throw err;
      });
      return found;
    },
  );

  app.post(
    '/productOrders/:id/cancel',
    {
      config: { roles: cancellers },
      schema: {
        tags: ['productOrders'],
        summary: 'Shortcut for POST /cancelProductOrder: answers 202 with the cancel request and its Location',
        params: z.object({ id: orderId }),
        headers: idempotencyKeyHeader,
        body: cancelBody,
        response: { 202: cancelRequestView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const taken = await requestCancellation(
        app,
        request.principal,
        request.params.id,
        request.body.reason,
        request.headers['idempotency-key'],
      );
      return reply.code(202).header('location', location(taken.request)).send(taken.request);
    },
  );
};
