/**
 * Cancellation interrupts waits, never a call in flight: an order is cancelled at every boundary
 * of its flow, against an activation system that answers slowly, and for every cancelled order
 * the activation simulator (as support reads it over the API) holds no active component, every
 * activation that was sent has its deactivation recorded, and the order ends cancelled.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { datahost } from '../../catalog/datahost.js';
import { activations, rfbs } from '../../db/schema.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

const latencyMs = 800;
let p: TestPlatform;
const k: Record<string, Record<string, string>> = {};
beforeAll(async () => {
  p = await startTestPlatform({ activation: new ActivationSimulator({ latencyMs, failureRate: 0 }) });
  k.agent = bearer(await p.keyFor('agent'));
  k.support = bearer(await p.keyFor('support'));
  k.billing = bearer(await p.keyFor('billing'));
  k.backoffice = bearer(await p.keyFor('backoffice', { groups: ['provisioning', 'web-marketing'] }));
});
afterAll(() => p?.close());

type Order = {
  id: string;
  state: string;
  milestones: Record<string, { status: string }>;
  openTasks: { id: string }[];
  readyForBilling: { id: string; status: string }[];
};
const call = async (who: Record<string, string>, method: 'GET' | 'POST', url: string, payload?: object) => {
  const r = await p.app.inject({ method, url, headers: who, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.json() };
};
const order = async (id: string) => (await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`)).body as Order;
const until = (id: string, done: (o: Order) => boolean) => eventually(() => order(id), done, 60_000);
const sentAndUnanswered = async (id: string, phase: number) =>
  (
    await p.database.db
      .select()
      .from(activations)
      .where(and(eq(activations.orderId, id), eq(activations.phase, phase), eq(activations.status, 'sent')))
  ).length > 0;

/** Drives a new order to a boundary; the cancel comes right after. */
const boundaries: Record<string, (id: string) => Promise<unknown>> = {
  'mid activation 1': (id) => eventually(() => sentAndUnanswered(id, 1), Boolean, 60_000),
  'awaiting acceptance 1': (id) => until(id, (o) => o.milestones.acceptance1!.status === 'inProgress'),
  'awaiting the acknowledgement of RFB 1': async (id) => {
    await until(id, (o) => o.milestones.acceptance1!.status === 'inProgress');
    await call(k.agent!, 'POST', `/api/v1/productOrders/${id}/acceptance`, { phase: 1, decision: 'accepted' });
    await until(id, (o) => o.readyForBilling.length === 1);
  },
  'mid activation 2': async (id) => {
    await until(id, (o) => o.milestones.acceptance1!.status === 'inProgress' && o.openTasks.length === 2);
    await call(k.agent!, 'POST', `/api/v1/productOrders/${id}/acceptance`, { phase: 1, decision: 'accepted' });
    const o = await until(id, (o) => o.readyForBilling.length === 1);
    await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', { rfbId: o.readyForBilling[0]!.id, status: 'accepted' });
    for (const t of o.openTasks)
      expect((await call(k.backoffice!, 'POST', `/api/v1/tasks/${t.id}/complete`, { outcome: { done: true } })).status).toBe(200);
    await eventually(() => sentAndUnanswered(id, 2), Boolean, 60_000);
  },
};

describe('cancellation at every boundary', () => {
  it.each(Object.keys(boundaries))('cancelled %s: nothing stays active at the activation system', async (boundary) => {
    const id = await p.enterOrder(k.agent!, {
      taxId: `CX-${Object.keys(boundaries).indexOf(boundary)}-${Date.now()}`,
      components: datahost.components.filter((c) => !c.mandatory).map((c) => c.id),
    });
    await boundaries[boundary]!(id);

    const requested = await call(k.agent!, 'POST', '/api/v1/cancelProductOrder', {
      productOrder: { id },
      cancellationReason: `cancelled ${boundary}`,
    });
    expect(requested.status).toBe(201);
    expect(requested.body.state).not.toBe('terminatedWithError');
    await eventually(
      () => call(k.agent!, 'GET', `/api/v1/cancelProductOrder/${requested.body.id}`),
      (r) => r.body.state === 'done',
      60_000,
    );
    const cancelled = await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', openTasks: [] });
    // Nothing new starts after a cancel: the acceptance after an activation cut short never opens.
    if (boundary === 'mid activation 1') expect(cancelled.body.milestones.acceptance1.status).toBe('pending');
    if (boundary === 'mid activation 2') expect(cancelled.body.milestones.acceptance2.status).toBe('pending');
    // Billing is told: no RFB stays sent or accepted; a cycle that ran is stopped, and the order says when.
    const billed = await p.database.db.select().from(rfbs).where(eq(rfbs.orderId, id));
    expect(billed.filter((r) => r.status === 'sent' || r.status === 'accepted')).toEqual([]);
    const hadCycle = billed.filter((r) => r.acknowledgedAt !== null);
    expect(hadCycle.every((r) => r.status === 'withdrawn' && r.cycleEndDate !== null)).toBe(true);
    expect(cancelled.body.billing.cycleEndDate).toBe(hadCycle.length > 0 ? hadCycle[0]!.cycleEndDate : null);
    if (boundary === 'mid activation 2') expect(hadCycle).toHaveLength(1);
    const late = await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', { rfbId: `${id}:rfb:1`, status: 'accepted' });
    expect(late.status).toBe(billed.length > 0 ? 409 : 404);

    const held = (await call(k.support!, 'GET', `/api/v1/simulators/activation?orderId=${id}`)).body as { key: string; state: string }[];
    expect(held.length).toBeGreaterThan(0);
    expect(held.filter((c) => c.state === 'active')).toEqual([]);
    const calls = await p.database.db.select().from(activations).where(eq(activations.orderId, id));
    const sent = new Set(calls.filter((c) => c.action === 'activate').map((c) => c.idempotencyKey));
    const undone = new Set(
      calls
        .filter((c) => c.action === 'deactivate' && c.status === 'succeeded')
        .map((c) => c.idempotencyKey.replace(/:deactivate$/, ':activate')),
    );
    expect(undone).toEqual(sent);
    expect(await p.client.workflow.getHandle(`order-${id}`).result()).toBe('cancelled');
  });
});
