/**
 * A `datahost` order with every optional component, driven through all seven milestones as its
 * users drive it: an agent enters it, the customer accepts, back office works the inbox, billing
 * acknowledges. At each step the database (GET), the workflow's `state` query and its history
 * timeline must tell the same story.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { activations, productOrders } from '../../db/schema.js';
import { datahost } from '../../catalog/datahost.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
const k: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  p = await startTestPlatform();
  k.agent = bearer(await p.keyFor('agent'));
  k.billing = bearer(await p.keyFor('billing'));
  k.support = bearer(await p.keyFor('support'));
  k.marketing = bearer(await p.keyFor('backoffice', { groups: ['web-marketing'] }));
  k.provisioning = bearer(await p.keyFor('backoffice', { groups: ['provisioning'] }));
});
afterAll(() => p?.close());

const call = async (
  who: Record<string, string>,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) => {
  const r = await p.app.inject({
    method,
    url,
    headers: { ...who, ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body ? r.json() : undefined, headers: r.headers };
};

const optional = datahost.components.filter((c) => !c.mandatory).map((c) => c.id);
const taxId = `B-${Date.now()}`;
const orderBody = {
  customer: { name: 'Hostería Andina SA', taxId },
  contact: { name: 'Lino Chire', email: 'lino@hosteria.example', phone: '+51 1 555 0101' },
  items: [{ offeringId: 'datahost', components: optional, configuration: { domainName: 'hosteria.example' } }],
};

/**
 * The three views of an order and where they disagree. While an activity is writing, the
 * workflow is legitimately a step ahead of the rows; they must agree once it is quiet.
 */
async function views(id: string) {
  const order = (await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`)).body;
  const described = (await call(k.support!, 'GET', `/api/v1/workflows/order-${id}`)).body;
  const timeline = (await call(k.support!, 'GET', `/api/v1/workflows/order-${id}/history?view=timeline`)).body as Array<{
    event: string;
    name?: string;
  }>;
  const state = described.state;
  const mismatches: string[] = [];
  const same = (what: string, a: unknown, b: unknown) =>
    JSON.stringify(a) !== JSON.stringify(b) && mismatches.push(`${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  same('state', state.state, order.state);
  for (const [name, m] of Object.entries(order.milestones as Record<string, { status: string; deadlineMissed?: boolean }>)) {
    same(`milestone ${name}`, state.milestones[name].status, m.status);
    same(`deadline of ${name}`, Boolean(state.milestones[name].deadlineMissed), Boolean(m.deadlineMissed));
  }
  same('open tasks', [...state.openTaskIds].sort(), order.openTasks.map((t: { id: string }) => t.id).sort());
  const completed = (update: string) => timeline.filter((e) => e.event === 'WorkflowExecutionUpdateCompleted' && e.name === update).length;
  const doneCount = (...names: string[]) => names.filter((n) => order.milestones[n].status === 'done').length;
  same(
    'activations in history',
    timeline.filter((e) => e.event === 'ActivityTaskCompleted' && e.name === 'activatePhase').length,
    doneCount('activation1', 'activation2'),
  );
  same('acceptances in history', completed('acceptance'), doneCount('acceptance1', 'acceptance2'));
  same('RFB acknowledgements in history', completed('acknowledgeRfb'), doneCount('rfb1', 'rfb2'));
  return { order, state, timeline, mismatches };
}

/** Waits for a condition on an order, then requires the database, query and history to agree. */
async function waitFor(id: string, done: (v: Awaited<ReturnType<typeof views>>) => boolean = () => true) {
  const v = await eventually(
    () => views(id),
    (v) => v.mismatches.length === 0 && done(v),
    30_000,
  );
  expect(v.mismatches).toEqual([]);
  expect(done(v)).toBe(true);
  return v;
}

describe('order to bill through the API', () => {
  let id: string;
  let customerKey: Record<string, string>;

  it('enters the order: registers customer and contact, prices the cart, answers 201 with the order as written and readable at once', async () => {
    const created = await call(k.agent!, 'POST', '/api/v1/productOrders', orderBody, { 'idempotency-key': `first-${taxId}` });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect(id).toMatch(/^ORD-[0-9A-F]{16}$/);
    expect(created.headers.location).toBe(`/api/v1/productOrders/${id}`);
    const everything = datahost.components;
    // Written as acknowledged; provisioning may have begun by the time the answer is read.
    expect(['acknowledged', 'inProgress']).toContain(created.body.state);
    expect(created.body).toMatchObject({
      currency: 'EUR',
      totals: {
        oneTime: (datahost.oneTimeCents + everything.reduce((s, c) => s + c.oneTimeCents, 0)) / 100,
        recurring: (datahost.recurringCents + everything.reduce((s, c) => s + c.recurringCents, 0)) / 100,
      },
      items: [
        {
          offeringId: 'datahost',
          quantity: 1,
          componentIds: everything.map((c) => c.id),
          configuration: { domainName: 'hosteria.example' },
        },
      ],
    });
    expect(Object.keys(created.body.milestones)).toEqual([
      'activation1',
      'acceptance1',
      'rfb1',
      'manualTasks',
      'activation2',
      'acceptance2',
      'rfb2',
    ]);
    expect(created.body.milestones.activation1.deadline).toBeTruthy();
    // Read right after the 201: the same order.
    expect((await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`)).body.id).toBe(id);

    const again = await call(k.agent!, 'POST', '/api/v1/productOrders', orderBody, { 'idempotency-key': `first-${taxId}` });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    const workflows = (await call(k.support!, 'GET', `/api/v1/workflows?type=order&limit=200`)).body as Array<{ workflowId: string }>;
    expect(workflows.filter((w) => w.workflowId === `order-${id}`).length).toBeLessThanOrEqual(1);

    customerKey = bearer(await p.keyFor('customer', { customerId: created.body.customerId }));
    const other = bearer(await p.keyFor('customer', { customerId: 'CUST-SOMEONE-ELSE' }));
    expect((await call(other, 'GET', `/api/v1/productOrders/${id}`)).status).toBe(404);
    expect((await call(customerKey, 'GET', `/api/v1/productOrders/${id}`)).status).toBe(200);
  });

  it('runs activation 1 and opens one manual task per manual component, in its group', async () => {
    const v = await waitFor(id, (v) => v.state.waitingFor.includes('acceptance1') && v.order.openTasks.length === 2);
    expect(v.order.state).toBe('inProgress');
    expect(v.order.milestones.activation1).toMatchObject({ status: 'done' });
    expect(v.order.milestones.activation1.deadlineMissed).toBeUndefined();
    expect(v.order.milestones.manualTasks.status).toBe('inProgress');
    expect(v.order.openTasks.map((t: { group: string }) => t.group).sort()).toEqual(['provisioning', 'web-marketing']);
    const sent = await p.database.db.select().from(activations).where(eq(activations.orderId, id));
    expect(sent.map((a) => a.componentId).sort()).toEqual(
      datahost.components
        .filter((c) => c.fulfilment === 'auto-phase-1')
        .map((c) => c.id)
        .sort(),
    );
    expect(sent.every((a) => a.status === 'succeeded' && a.idempotencyKey.startsWith(`${id}:1.`))).toBe(true);
    // The item's configuration reaches the activation system and the manual tasks; it travels once
    // per item in the workflow's history, not once per plan step.
    expect(sent.map((a) => (a.request as { configuration: unknown }).configuration)).toEqual(
      sent.map(() => ({ domainName: 'hosteria.example' })),
    );
    const task = (
      await call(k.provisioning!, 'GET', `/api/v1/tasks/${v.order.openTasks.find((t: { group: string }) => t.group === 'provisioning').id}`)
    ).body;
    expect(task.input).toMatchObject({ configuration: { domainName: 'hosteria.example' } });
    type Accepted = {
      workflowExecutionUpdateAcceptedEventAttributes?: {
        acceptedRequest: { meta: { updateId: string }; input: { args: { payloads: { data: string }[] } } };
      };
    };
    const raw = (await call(k.support!, 'GET', `/api/v1/workflows/order-${id}/history?view=raw`)).body as { events: Accepted[] };
    const submit = raw.events.find((e) =>
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest.meta.updateId.startsWith(`submit-${id}-`),
    );
    const submitted = JSON.parse(
      Buffer.from(
        submit!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest.input.args.payloads[0]!.data,
        'base64',
      ).toString(),
    );
    expect(submitted.items[0].configuration).toEqual({ domainName: 'hosteria.example' });
    expect(submitted.plan.length).toBeGreaterThan(1);
    expect(submitted.plan.filter((step: object) => 'configuration' in step)).toEqual([]);
  });

  it("takes the customer's acceptance 1 only for the phase it awaits", async () => {
    const wrong = await call(customerKey, 'POST', `/api/v1/productOrders/${id}/acceptance`, { phase: 2, decision: 'accepted' });
    expect(wrong.status).toBe(409);
    expect(wrong.body.code).toBe('ACCEPTANCE_NOT_EXPECTED');
    const accepted = await call(customerKey, 'POST', `/api/v1/productOrders/${id}/acceptance`, {
      phase: 1,
      decision: 'accepted',
      comment: 'site is up',
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.milestones.acceptance1).toMatchObject({ status: 'done' });
    await waitFor(id);
  });

  it('hands RFB 1 to billing and starts billing only on its acknowledgement', async () => {
    const v = await waitFor(id, (v) => v.order.readyForBilling.length === 1);
    expect(v.order.billing).toEqual({ billingAccountId: null, cycleStartDate: null, cycleEndDate: null });
    const pending = (await call(k.billing!, 'GET', '/api/v1/billing/readyForBilling?status=sent')).body as Array<{
      id: string;
      payload: any;
    }>;
    const rfb = pending.find((r) => r.id === `${id}:rfb:1`)!;
    expect(rfb.payload).toMatchObject({
      orderId: id,
      phase: 1,
      customer: { taxId, name: 'Hostería Andina SA' },
      currency: 'EUR',
      items: [{ offeringId: 'datahost' }],
    });
    expect(rfb.payload.startDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // RFB 1 bills the package and what phase 1 delivered, at the prices ordered.
    const phase1 = datahost.components.filter((c) => c.fulfilment === 'auto-phase-1');
    expect(rfb.payload.items[0].componentIds).toEqual(phase1.map((c) => c.id));
    expect(rfb.payload.oneTimeCents).toBe(datahost.oneTimeCents + phase1.reduce((sum, c) => sum + c.oneTimeCents, 0));
    expect(rfb.payload.recurringCents).toBe(datahost.recurringCents + phase1.reduce((sum, c) => sum + c.recurringCents, 0));

    const ack = { rfbId: rfb.id, status: 'accepted', billingAccountId: 'BA-778', cycleStartDate: '2026-12-01' };
    const first = await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', ack);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'accepted', billingAccountId: 'BA-778', cycleStartDate: '2026-12-01' });
    const duplicate = await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', ack);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body).toEqual(first.body);
    expect((await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', { ...ack, rfbId: 'ORD-0:rfb:9' })).status).toBe(404);
    expect((await call(k.agent!, 'POST', '/api/v1/billing/acknowledgements', ack)).status).toBe(403);

    const after = await waitFor(id);
    expect(after.order.milestones.rfb1.status).toBe('done');
    expect(after.order.billing).toEqual({ billingAccountId: 'BA-778', cycleStartDate: '2026-12-01', cycleEndDate: null });
  });

  it('gates activation 2 on the manual tasks, worked through the inbox with an audit trail', async () => {
    const v = await waitFor(id);
    expect(v.order.milestones.activation2.status).toBe('pending');
    const marketingTask = v.order.openTasks.find((t: { group: string }) => t.group === 'web-marketing').id as string;
    const diskTask = v.order.openTasks.find((t: { group: string }) => t.group === 'provisioning').id as string;

    const inbox = (await call(k.marketing!, 'GET', `/api/v1/tasks?status=opened&subject=${id}`)).body as Array<{ id: string }>;
    expect(inbox.map((t) => t.id)).toEqual([marketingTask]);

    // Another group's task is not there for this key, on a POST exactly as on a GET.
    const outsider = await call(k.provisioning!, 'POST', `/api/v1/tasks/${marketingTask}/claim`, {});
    expect(outsider.status).toBe(404);
    expect(outsider.body.code).toBe('TASK_NOT_FOUND');
    expect((await call(k.provisioning!, 'GET', `/api/v1/tasks/${marketingTask}`)).status).toBe(404);
    const claimed = await call(k.marketing!, 'POST', `/api/v1/tasks/${marketingTask}/claim`, {});
    expect(claimed.status).toBe(200);
    expect(claimed.body.assignee).toBeTruthy();
    const ids = async (who: Record<string, string>, query: string) =>
      ((await call(who, 'GET', `/api/v1/tasks?subject=${id}&${query}`)).body as Array<{ id: string }>).map((t) => t.id);
    expect(await ids(k.marketing!, 'assignee=me')).toEqual([marketingTask]);
    expect(await ids(k.provisioning!, 'assignee=me')).toEqual([]);
    expect(await ids(k.provisioning!, 'kind=manualFulfilment')).toEqual([diskTask]);
    expect(await ids(k.provisioning!, 'group=web-marketing')).toEqual([]); // not its group
    expect((await ids(k.support!, 'status=opened')).sort()).toEqual([diskTask, marketingTask].sort());
    expect((await call(k.provisioning!, 'GET', `/api/v1/tasks/${marketingTask}`)).status).toBe(404);
    const started = await call(k.marketing!, 'POST', `/api/v1/tasks/${marketingTask}/start`, {});
    expect(started.body.status).toBe('inProgress');
    // Read right after the 200: never stale.
    expect((await call(k.marketing!, 'GET', `/api/v1/tasks/${marketingTask}`)).body.status).toBe('inProgress');
    // Sent again (its answer lost, say), the start is answered as the first one: nothing is started twice.
    const again = await call(k.marketing!, 'POST', `/api/v1/tasks/${marketingTask}/start`, {});
    expect([again.status, again.body]).toEqual([200, started.body]);
    const bad = await call(k.marketing!, 'POST', `/api/v1/tasks/${marketingTask}/complete`, { outcome: { done: false } });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('INVALID_OUTCOME');
    const done = await call(k.marketing!, 'POST', `/api/v1/tasks/${marketingTask}/complete`, {
      outcome: { done: true, reference: 'SEO-551' },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', outcome: { done: true, reference: 'SEO-551' } });
    expect(done.body.events.map((e: { action: string }) => e.action)).toEqual(['open', 'claim', 'start', 'complete']);
    const twice = await call(k.marketing!, 'POST', `/api/v1/tasks/${marketingTask}/complete`, { outcome: { done: true } });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('TASK_ALREADY_COMPLETED');

    expect((await waitFor(id)).order.milestones.activation2.status).toBe('pending');

    // A forward must reach someone: a group no key works, or a person who is no such key, is refused.
    for (const [receiver, code] of [
      [{ toGroup: 'nobody' }, 'UNKNOWN_GROUP'],
      [{ toAssignee: 'bob' }, 'UNKNOWN_ASSIGNEE'],
      [{ toAssignee: '00000000-0000-4000-8000-000000000000' }, 'UNKNOWN_ASSIGNEE'],
    ] as const) {
      const stranded = await call(k.provisioning!, 'POST', `/api/v1/tasks/${diskTask}/forward`, { ...receiver, message: 'over to you' });
      expect(stranded.status).toBe(422);
      expect(stranded.body.code).toBe(code);
    }
    // "Send action request": provisioning forwards the disk task to web-marketing, who finish it.
    const forwarded = await call(k.provisioning!, 'POST', `/api/v1/tasks/${diskTask}/forward`, {
      toGroup: 'web-marketing',
      message: 'please size the disk with the SEO plan',
    });
    expect(forwarded.body).toMatchObject({ group: 'web-marketing', status: 'opened' });
    const note = (await call(k.marketing!, 'GET', `/api/v1/notifications?recipient=group:web-marketing&subject=${id}&kind=actionRequest`))
      .body;
    expect(note).toEqual([expect.objectContaining({ message: expect.stringContaining('please size the disk') })]);
    // Back office reads its own groups' notifications only, whatever it asks for.
    const notes = async (who: Record<string, string>, query = '') =>
      ((await call(who, 'GET', `/api/v1/notifications?subject=${id}${query}`)).body as Array<{ recipient: string }>).map(
        (n) => n.recipient,
      );
    expect(await notes(k.provisioning!, '&recipient=group:web-marketing')).toEqual([]);
    expect(new Set(await notes(k.provisioning!))).toEqual(new Set(['group:provisioning']));
    expect(new Set(await notes(k.marketing!))).toEqual(new Set(['group:web-marketing']));
    await call(k.marketing!, 'POST', `/api/v1/tasks/${diskTask}/start`, {});
    expect((await call(k.marketing!, 'POST', `/api/v1/tasks/${diskTask}/complete`, { outcome: { done: true } })).status).toBe(200);

    const next = await waitFor(id, (v) => v.state.waitingFor.includes('acceptance2'));
    expect(next.order.milestones.manualTasks.status).toBe('done');
    expect(next.order.milestones.activation2.status).toBe('done');
    expect(next.order.openTasks).toEqual([]);
  });

  it('completes with acceptance 2 and RFB 2: order completed, services active', async () => {
    expect((await call(customerKey, 'POST', `/api/v1/productOrders/${id}/acceptance`, { phase: 2, decision: 'accepted' })).status).toBe(
      200,
    );
    await waitFor(id, (v) => v.order.readyForBilling.length === 2);
    // RFB 2 bills the rest (activation 2 and the manual work); together the two bill the order.
    const both = (await call(k.billing!, 'GET', '/api/v1/billing/readyForBilling?limit=200')).body.filter(
      (r: { orderId: string }) => r.orderId === id,
    );
    const rest = datahost.components.filter((c) => c.fulfilment !== 'auto-phase-1');
    expect(both[1].payload.items[0].componentIds).toEqual(rest.map((c) => c.id));
    const order = (await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`)).body;
    expect((both[0].payload.oneTimeCents + both[1].payload.oneTimeCents) / 100).toBe(order.totals.oneTime);
    expect((both[0].payload.recurringCents + both[1].payload.recurringCents) / 100).toBe(order.totals.recurring);
    expect((await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', { rfbId: `${id}:rfb:2`, status: 'accepted' })).status).toBe(
      200,
    );
    const final = await waitFor(id, (v) => v.order.state === 'completed');
    // A completed order is not cancelled: 409, saying why.
    const late = await call(k.agent!, 'POST', '/api/v1/cancelProductOrder', { productOrder: { id }, cancellationReason: 'too late' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'ORDER_CLOSED', message: expect.stringContaining('completed') });
    expect(Object.values(final.order.milestones).map((m: any) => m.status)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
    ]);
    expect(final.order.completedAt).toBeTruthy();
    expect(final.order.billing).toEqual({ billingAccountId: 'BA-778', cycleStartDate: '2026-12-01', cycleEndDate: null });
    expect(final.timeline.at(-1)).toMatchObject({ event: 'WorkflowExecutionCompleted' });

    const services = (await call(customerKey, 'GET', `/api/v1/services?orderId=${id}`)).body as Array<{
      componentId: string;
      state: string;
    }>;
    expect(services.map((s) => s.componentId).sort()).toEqual(datahost.components.map((c) => c.id).sort());
    expect(services.every((s) => s.state === 'active')).toBe(true);
    const listed = (await call(k.agent!, 'GET', `/api/v1/productOrders?state=completed&customerId=${final.order.customerId}`)).body;
    expect(listed.map((o: { id: string }) => o.id)).toEqual([id]);
  });
});

describe('order entry refusals', () => {
  it.each([
    [{ ...orderBody, items: [{ offeringId: 'quantum-hosting' }] }, 422, 'UNKNOWN_OFFERING'],
    [{ ...orderBody, items: [{ offeringId: 'datahost', components: ['datahost.teleporter'] }] }, 422, 'UNKNOWN_COMPONENT'],
    [{ ...orderBody, customer: { id: 'CUST-NOBODY' } }, 422, 'UNKNOWN_CUSTOMER'],
    [{ ...orderBody, items: [] }, 400, 'VALIDATION_FAILED'],
    [{ ...orderBody, contact: { name: 'x', email: 'not-an-email' } }, 400, 'VALIDATION_FAILED'],
  ])('refuses %j with %i %s and starts nothing', async (body, status, code) => {
    const r = await call(k.agent!, 'POST', '/api/v1/productOrders', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
  });

  it('answers a repeated externalId with the first order, whatever the Idempotency-Key', async () => {
    const body = { ...orderBody, externalId: `PO-${Date.now()}`, customer: { name: 'Repeat SA', taxId: `R-${Date.now()}` } };
    const first = await call(k.agent!, 'POST', '/api/v1/productOrders', body, { 'idempotency-key': 'one' });
    const second = await call(k.agent!, 'POST', '/api/v1/productOrders', body, { 'idempotency-key': 'two' });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.externalId).toBe(body.externalId);
    // The same customer named by its id: the same order, not a second one (nor a hang).
    const byId = await call(k.agent!, 'POST', '/api/v1/productOrders', { ...body, customer: { id: first.body.customerId } });
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(first.body.id);
    const mine = (await call(k.agent!, 'GET', `/api/v1/productOrders?customerId=${first.body.customerId}`)).body;
    expect(mine).toHaveLength(1);
  });

  it('creates one order for requests that race with one Idempotency-Key: one 201, the others 200 with it', async () => {
    const body = { ...orderBody, customer: { name: 'Carrera SA', taxId: `RACE-${Date.now()}` } };
    const key = { 'idempotency-key': `race-${Date.now()}` };
    const answers = await Promise.all([1, 2, 3].map(() => call(k.agent!, 'POST', '/api/v1/productOrders', body, key)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });

  it('refuses an Idempotency-Key reused with another body (422), and answers the same body with the first order', async () => {
    const body = { ...orderBody, customer: { name: 'Clave SA', taxId: `K-${Date.now()}` } };
    const key = { 'idempotency-key': `key-${Date.now()}` };
    const first = await call(k.agent!, 'POST', '/api/v1/productOrders', body, key);
    expect(first.status).toBe(201);
    expect((await call(k.agent!, 'POST', '/api/v1/productOrders', body, key)).body.id).toBe(first.body.id);
    const other = await call(k.agent!, 'POST', '/api/v1/productOrders', { ...body, items: [{ offeringId: 'datahost' }] }, key);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { firstRequest: 'POST /api/v1/productOrders' } });
    expect(
      await p.database.db.select({ id: productOrders.id }).from(productOrders).where(eq(productOrders.customerId, first.body.customerId)),
    ).toHaveLength(1);
    // An externalId does not make the key new: the key stands for the first request.
    const withExternalId = await call(k.agent!, 'POST', '/api/v1/productOrders', { ...body, externalId: 'PO-OTHER' }, key);
    expect(withExternalId.status).toBe(422);
    expect(withExternalId.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('lets a customer key order only for its own customer', async () => {
    const customer = bearer(await p.keyFor('customer', { customerId: 'CUST-OWN' }));
    const r = await call(customer, 'POST', '/api/v1/productOrders', orderBody);
    expect(r.status).toBe(403);
  });
});

describe('cancellation', () => {
  it('undoes an order in progress: RFB withdrawn (its acknowledgement then refused), tasks cancelled, activations reversed', async () => {
    const created = await call(k.agent!, 'POST', '/api/v1/productOrders', {
      ...orderBody,
      customer: { name: 'Cancelling SA', taxId: `C-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await eventually(
      () => call(k.agent!, 'GET', `/api/v1/productOrders/${id}`),
      (r) => r.body.milestones.acceptance1.status === 'inProgress' && r.body.openTasks.length === 2,
    );
    expect((await call(k.agent!, 'POST', `/api/v1/productOrders/${id}/acceptance`, { phase: 1, decision: 'accepted' })).status).toBe(200);
    await eventually(
      () => call(k.agent!, 'GET', `/api/v1/productOrders/${id}`),
      (r) => r.body.readyForBilling.length === 1,
    );

    // The shortcut answers at once with the cancel request; the order is pending cancellation until it is done.
    const requested = await call(k.agent!, 'POST', `/api/v1/productOrders/${id}/cancel`, { reason: 'customer changed plans' });
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({
      productOrder: { id },
      cancellationReason: 'customer changed plans',
      requestedBy: expect.stringMatching(/^agent:/),
    });
    expect(requested.headers.location).toBe(`/api/v1/cancelProductOrder/${requested.body.id}`);
    expect(['pendingCancellation', 'cancelled']).toContain((await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`)).body.state);
    const done = await eventually(
      () => call(k.agent!, 'GET', requested.headers.location as string),
      (r) => r.body.state === 'done',
    );
    expect(done.body.completedAt).toBeTruthy();
    const cancelled = await call(k.agent!, 'GET', `/api/v1/productOrders/${id}`);
    expect(cancelled.body).toMatchObject({
      state: 'cancelled',
      openTasks: [],
      readyForBilling: [{ id: `${id}:rfb:1`, status: 'withdrawn' }],
    });
    expect(cancelled.body.services.every((s: { state: string }) => s.state === 'terminated')).toBe(true);
    const reversed = (p.activation as unknown as { requests: string[] }).requests.filter(
      (key) => key.startsWith(`${id}:`) && key.endsWith(':deactivate'),
    );
    expect(reversed).toHaveLength(datahost.components.filter((c) => c.fulfilment === 'auto-phase-1').length);

    const late = await call(k.billing!, 'POST', '/api/v1/billing/acknowledgements', { rfbId: `${id}:rfb:1`, status: 'accepted' });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('RFB_WITHDRAWN');
    // Asking again answers with the request already taken.
    const again = await call(k.agent!, 'POST', '/api/v1/cancelProductOrder', { productOrder: { id }, cancellationReason: 'twice' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: requested.body.id, state: 'done', cancellationReason: 'customer changed plans' });
    const tasks = (await call(k.support!, 'GET', `/api/v1/tasks?subject=${id}`)).body as Array<{
      status: string;
      events: { action: string }[];
    }>;
    expect(tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(tasks.every((t) => t.events.at(-1)!.action === 'cancel')).toBe(true);
    expect(await p.client.workflow.getHandle(`order-${id}`).result()).toBe('cancelled');
  });
});
