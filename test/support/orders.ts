/** Starting and driving order workflows directly through Temporal, for workflow-level tests. */
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client.js';
import { orderIdFor, resolveCustomer, submitOrder, type OrderRequest } from '../../api/order-entry.js';
import { orderWorkflowId, orderStateQuery, type OrderSettings } from '../../workflows/order.contract.js';
import { datahost } from '../../catalog/datahost.js';

export function datahostRequest(components: string[], taxId = `T-${Math.random().toString(36).slice(2, 10)}`): OrderRequest {
  return {
    customer: { name: 'Test Hosting SL', taxId },
    contact: { name: 'Ana Test', email: 'ana@test.example' },
    items: [{ offeringId: 'datahost', components, quantity: 1, configuration: { domainName: `${taxId.toLowerCase()}.example` } }],
  };
}

export const optionalOf = (fulfilment: string) =>
  datahost.components.filter((c) => !c.mandatory && c.fulfilment === fulfilment).map((c) => c.id);

/** The order id order entry gives `request` (sent without an Idempotency-Key). */
export const orderIdOf = async (db: Db, request: OrderRequest) =>
  orderIdFor(await resolveCustomer(db, request), request, undefined, 'test');

export async function startOrder(client: Client, db: Db, taskQueue: string, request: OrderRequest, settings: OrderSettings) {
  const customerId = await resolveCustomer(db, request);
  const orderId = orderIdFor(customerId, request, undefined, 'test');
  const answer = await submitOrder({ db, client, taskQueue, settings, answerWithinMs: 60_000 }, orderId, customerId, request);
  if (answer === 'pending') throw new Error(`order ${orderId} was not recorded within a minute`);
  const view = { customerId };
  const handle = client.workflow.getHandle(orderWorkflowId(orderId));
  const state = () => handle.query(orderStateQuery);
  /** Polls the state query (which does not let time skip) until `done` holds. */
  const until = async (done: (s: Awaited<ReturnType<typeof state>>) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await state();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`order ${orderId} never reached the expected state; last: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { orderId, view, handle, state, until };
}
