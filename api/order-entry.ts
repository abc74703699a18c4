/**
 * Order entry (seed 003, 5.3.5.1): checks the cart against the catalogue, prices it, builds the
 * provisioning plan from the components' fulfilment, and starts the order's workflow with an
 * update that answers once the order is written (update-with-start: no read-after-write gap).
 */
import { createHash, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { cases, customers, productComponents, productOrders, products, recalls } from '../db/schema.js';
import {
  orderWorkflowId,
  orderWorkflowType,
  submitOrderUpdate,
  type OrderSettings,
  type OrderWorkflow,
  type PlanStep,
  type PricedItem,
  type SubmitOrder,
} from '../workflows/order.contract.js';
import { DomainError } from './errors.js';

export const orderRequest = z
  .object({
    externalId: z.string().min(1).max(100).optional().describe("The caller's own reference; repeating it returns the first order"),
    customer: z.union([
      z.object({ id: z.string().min(1).max(64) }).strict(),
      z
        .object({ name: z.string().min(1).max(200), taxId: z.string().regex(/^[A-Za-z0-9-]{3,32}$/, 'letters, digits and dashes') })
        .strict(),
    ]),
    contact: z.object({ name: z.string().min(1).max(200), email: z.email().max(254), phone: z.string().max(40).optional() }).strict(),
    items: z
      .array(
        z
          .object({
            offeringId: z.string().min(1).max(100),
            components: z
              .array(z.string().min(1).max(100))
              .max(50)
              .default([])
              .describe('Optional components chosen; mandatory ones are always included'),
            quantity: z.number().int().min(1).max(100).default(1),
            configuration: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,40}$/), z.string().max(500)).default({}),
          })
          .strict(),
      )
      .min(1)
      .max(20),
  })
  .strict();
export type OrderRequest = z.infer<typeof orderRequest>;

export async function priceOrder(
  db: Db,
  orderId: string,
  request: OrderRequest,
): Promise<Pick<SubmitOrder, 'items' | 'plan' | 'oneTimeCents' | 'recurringCents' | 'currency'>> {
  const offeringIds = [...new Set(request.items.map((i) => i.offeringId))];
  const found = await db.select().from(products).where(inArray(products.id, offeringIds));
  const unknown = offeringIds.filter((id) => !found.some((p) => p.id === id));
  if (unknown.length) throw new DomainError('UNKNOWN_OFFERING', `Unknown offering ${unknown.join(', ')}`, { offeringIds: unknown });
  const components = await db
    .select()
    .from(productComponents)
    .where(inArray(productComponents.productId, offeringIds))
    .orderBy(asc(productComponents.position));

  const items: PricedItem[] = [];
  const plan: PlanStep[] = [];
  for (const [index, item] of request.items.entries()) {
    const product = found.find((p) => p.id === item.offeringId)!;
    const own = components.filter((c) => c.productId === product.id);
    const strangers = item.components.filter((id) => !own.some((c) => c.id === id && !c.mandatory));
    if (strangers.length) {
      throw new DomainError('UNKNOWN_COMPONENT', `Offering ${product.id} has no optional component ${strangers.join(', ')}`, {
        offeringId: product.id,
        componentIds: strangers,
      });
    }
    const chosen = own.filter((c) => c.mandatory || item.components.includes(c.id));
    const position = index + 1;
    const id = `${orderId}:item:${position}`;
    items.push({
      id,
      position,
      offeringId: product.id,
      quantity: item.quantity,
      componentIds: chosen.map((c) => c.id),
      configuration: item.configuration,
      base: { oneTimeCents: product.oneTimeCents, recurringCents: product.recurringCents },
      components: chosen.map((c) => ({
        id: c.id,
        fulfilment: c.fulfilment,
        oneTimeCents: c.oneTimeCents,
        recurringCents: c.recurringCents,
      })),
      oneTimeCents: item.quantity * (product.oneTimeCents + chosen.reduce((sum, c) => sum + c.oneTimeCents, 0)),
      recurringCents: item.quantity * (product.recurringCents + chosen.reduce((sum, c) => sum + c.recurringCents, 0)),
    });
    for (const c of chosen) {
      plan.push({
        key: `${position}.${c.id}`,
        itemId: id,
        offeringId: product.id,
        componentId: c.id,
        name: c.name,
        fulfilment: c.fulfilment,
        manualGroup: c.manualGroup,
      });
    }
  }
  return {
    items,
    plan,
    currency: found[0]!.currency,
    oneTimeCents: items.reduce((sum, i) => sum + i.oneTimeCents, 0),
    recurringCents: items.reduce((sum, i) => sum + i.recurringCents, 0),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Customers registered at order entry get an id derived from their tax id: stable across retries. */
export const customerIdFor = (taxId: string) => `CUST-${sha256(taxId).slice(0, 10).toUpperCase()}`;

/**
 * The customer an order is for: an existing one by id or by tax id, or a new one under the id
 * its tax id gives it. Resolved before the order id, so `{ id }` and `{ name, taxId }` of one
 * customer name the same order.
 */
export async function resolveCustomer(db: Db, request: Pick<OrderRequest, 'customer'>): Promise<string> {
  const where = 'id' in request.customer ? eq(customers.id, request.customer.id) : eq(customers.taxId, request.customer.taxId);
  const [found] = await db.select({ id: customers.id }).from(customers).where(where);
  if (found) return found.id;
  if ('id' in request.customer)
    throw new DomainError('UNKNOWN_CUSTOMER', `No customer ${request.customer.id}; give name and taxId to register one`);
  return customerIdFor(request.customer.taxId);
}

/** The request as validated (defaults filled in), fingerprinted: the same body gives the same hash. */
export const requestHashOf = (request: object) => sha256(JSON.stringify(request));

/**
 * The order id doubles as the idempotency key: derived from the caller's externalId (per
 * customer) or Idempotency-Key (per API key), random when neither is given.
 */
export function orderIdFor(customerId: string, request: OrderRequest, idempotencyKey: string | undefined, keyId: string): string {
  return idFor('ORD', customerId, request, idempotencyKey, keyId);
}

/** An id that doubles as the idempotency key of the request that creates the thing (order, case). */
export function idFor(
  prefix: string,
  customerId: string,
  request: { externalId?: string },
  idempotencyKey: string | undefined,
  keyId: string,
): string {
  const seed = request.externalId
    ? `external:${customerId}:${request.externalId}`
    : idempotencyKey
      ? `key:${keyId}:${idempotencyKey}`
      : randomUUID();
  return `${prefix}-${sha256(seed).slice(0, 16).toUpperCase()}`;
}

/**
 * Answers `created` or `repeated` once an update-with-start is done, or `pending` when that takes
 * longer than `answerWithinMs`: the caller answers 202 then, and the work is done when a worker
 * gets to it.
 */
export async function answerWithin(
  recorded: Promise<{ created: boolean }>,
  answerWithinMs: number,
): Promise<'created' | 'repeated' | 'pending'> {
  // Past the deadline nobody awaits the update any more; its failure then shows on the resource.
  void recorded.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), answerWithinMs)));
  try {
    return await Promise.race([recorded.then((r) => (r.created ? ('created' as const) : ('repeated' as const))), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the order's workflow with the update that records it. Answers `created` once the order
 * is written (`repeated` when another request for the same order got there first), or `pending`
 * when that takes longer than `answerWithinMs` (no worker, a slow database): the caller answers
 * 202 then, and the order is written when the worker gets to it.
 */
export async function submitOrder(
  deps: { db: Db; client: Client; taskQueue: string; settings: OrderSettings; answerWithinMs: number },
  orderId: string,
  customerId: string,
  request: OrderRequest,
  /** `<key id>:<Idempotency-Key>` when the caller sent one. */
  idempotencyKey: string | null = null,
): Promise<'created' | 'repeated' | 'pending'> {
  const submit: SubmitOrder = {
    orderId,
    externalId: request.externalId ?? null,
    customerId,
    customer: request.customer,
    contact: request.contact,
    requestHash: requestHashOf(request),
    idempotencyKey,
    ...(await priceOrder(deps.db, orderId, request)),
  };
  const recorded = deps.client.workflow.executeUpdateWithStart(submitOrderUpdate, {
    args: [submit],
    // One update per request: requests racing for one order each get an answer, and the
    // workflow tells the one that created it from the repeats.
    updateId: `submit-${orderId}-${randomUUID()}`,
    startWorkflowOperation: new WithStartWorkflowOperation<OrderWorkflow>(orderWorkflowType, {
      workflowId: orderWorkflowId(orderId),
      taskQueue: deps.taskQueue,
      args: [{ orderId, settings: deps.settings }],
      workflowTaskTimeout: orderWorkflowTaskTimeout,
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return answerWithin(recorded, deps.answerWithinMs);
}

/**
 * A workflow task whose worker died is handed to another after this (Temporal's default is 10 s).
 * An order's tasks are short (ms, plus its local activities' writes, for which the SDK extends the
 * task): most orders in flight have one open when a worker is killed, and all of them wait it out.
 */
const orderWorkflowTaskTimeout = '5 seconds';

/**
 * An Idempotency-Key stands for one request, whatever else the body names (an externalId too):
 * used before for another order or case, or with another body, it is refused. Every key sent
 * since the table of keys is refused so before the route runs (api/idempotency-keys.ts); this
 * finds the keys of orders, cases and recalls entered before that table existed.
 */
export async function refuseReusedKey(
  db: Db,
  table: typeof productOrders | typeof cases | typeof recalls,
  keyRef: string | null,
  id: string,
  requestHash: string,
  idempotencyKey: string | undefined,
  what: 'order' | 'case' | 'recall',
): Promise<void> {
  if (!keyRef) return;
  const [used] = await db
    .select({ id: table.id, requestHash: table.requestHash })
    .from(table as typeof cases)
    .where(eq(table.idempotencyKey, keyRef));
  if (used && (used.id !== id || used.requestHash !== requestHash))
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${idempotencyKey} was used for another request (${what} ${used.id})`, {
      [`${what}Id`]: used.id,
    });
}

/**
 * The answer to an entry request (order or case): 201 for the one that created it, 200 for a
 * repeat, both with the resource as written; 202 with its Location when it is not written in time.
 */
export async function sendEntryAnswer(
  reply: FastifyReply,
  answer: 'created' | 'repeated' | 'pending',
  o: { id: string; what: 'Order' | 'Case' | 'Recall'; location: string; view: () => Promise<unknown> },
) {
  reply.header('location', o.location);
  if (answer === 'pending')
    return reply.code(202).send({ id: o.id, message: `${o.what} ${o.id} is accepted and not yet written; read it at ${o.location}` });
  return reply.code(answer === 'created' ? 201 : 200).send(await o.view());
}
