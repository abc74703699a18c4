/**
 * The order events hub: listeners on a loopback server receive an order's state changes and
 * milestones in order; one that is down for a while receives them all once it is back; callbacks
 * go only to the hosts the operator allowed.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEvents } from '../../db/schema.js';
import { startHubDispatcher } from '../../runtime/hub.js';
import { startLoopback } from '../support/loopback.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

interface Received {
  path: string;
  body: {
    eventId: string;
    eventType: string;
    eventTime: string;
    event: { productOrder: { id: string; state?: string; milestone?: { name: string } } };
  };
}

/** A listener: records what it is sent, or answers 503 while `down`. */
function listener() {
  const received: Received[] = [];
  const state = { down: false, url: '' };
  let server: Awaited<ReturnType<typeof startLoopback>> | undefined;
  return {
    received,
    state,
    async start() {
      server = await startLoopback(({ path, body }) => {
        if (state.down) return { status: 503 };
        received.push({ path, body: body as Received['body'] });
        return { status: 201 };
      });
      state.url = `${server.url}/events`;
    },
    stop: () => server?.close(),
  };
}

let p: TestPlatform;
let hub: ReturnType<typeof startHubDispatcher>;
const states = listener();
const everything = listener();
beforeAll(async () => {
  p = await startTestPlatform({ hubCallbackHosts: ['127.0.0.1'] });
  hub = startHubDispatcher({ db: p.database.db, logger: pino({ level: 'silent' }), pollMs: 100 });
  await Promise.all([states.start(), everything.start()]);
});
afterAll(async () => {
  await hub?.stop();
  await Promise.all([states.stop(), everything.stop()]);
  await p?.close();
});

const ofOrder = (received: Received[], id: string) => {
  const seen = new Set<string>(); // at least once: a repeat is the same event id
  return received.filter((r) => r.body.event.productOrder.id === id && !seen.has(r.body.eventId) && seen.add(r.body.eventId));
};

describe('order events hub', () => {
  it("delivers an order's changes in order, and everything to a listener that was down once it is back", async () => {
    const admin = bearer(p.adminKey);
    const register = (payload: object) => p.app.inject({ method: 'POST', url: '/api/v1/hub', headers: admin, payload });
    expect((await register({ callback: 'http://intranet.example/hook' })).json()).toMatchObject({ code: 'CALLBACK_NOT_ALLOWED' });
    expect((await register({ callback: states.state.url, query: 'eventType=somethingElse' })).statusCode).toBe(400);
    const a = await register({ callback: states.state.url, query: 'eventType=productOrderStateChangeEvent' });
    expect(a.statusCode).toBe(201);
    everything.state.down = true;
    const b = await register({ callback: everything.state.url });
    expect(b.statusCode).toBe(201);

    const agent = bearer(await p.keyFor('agent'));
    const id = await p.enterOrder(agent, { taxId: `HUB-${Date.now()}` });
    await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/productOrders/${id}`, headers: agent })).json(),
      (o) => o.milestones.acceptance1.status === 'inProgress',
    );
    const cancel = await p.app.inject({
      method: 'POST',
      url: '/api/v1/cancelProductOrder',
      headers: agent,
      payload: { productOrder: { id }, cancellationReason: 'just looking' },
    });
    expect(cancel.statusCode).toBe(201);

    const expectedStates = ['acknowledged', 'inProgress', 'pendingCancellation', 'cancelled'];
    const delivered = await eventually(
      async () => ofOrder(states.received, id),
      (r) => r.length >= expectedStates.length,
      30_000,
    );
    expect(delivered.map((r) => r.body.event.productOrder.state)).toEqual(expectedStates);
    expect(
      delivered.every(
        (r) => r.path === '/events/listener/productOrderStateChangeEvent' && r.body.eventType === 'productOrderStateChangeEvent',
      ),
    ).toBe(true);
    expect(ofOrder(everything.received, id)).toEqual([]); // down all along: nothing taken, the order went on

    everything.state.down = false;
    const caughtUp = await eventually(
      async () => ofOrder(everything.received, id),
      (r) => r.some((e) => e.body.event.productOrder.state === 'cancelled'),
      90_000,
    );
    expect(caughtUp.filter((r) => r.body.eventType === 'productOrderStateChangeEvent').map((r) => r.body.event.productOrder.state)).toEqual(
      expectedStates,
    );
    expect(
      caughtUp.some(
        (r) => r.body.eventType === 'productOrderMilestoneEvent' && r.body.event.productOrder.milestone?.name === 'activation1',
      ),
    ).toBe(true);
    const ids = caughtUp.map((r) => Number(r.body.eventId));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));

    expect((await p.app.inject({ method: 'DELETE', url: `/api/v1/hub/${a.json().id}`, headers: admin })).statusCode).toBe(204);
    expect((await p.app.inject({ method: 'DELETE', url: `/api/v1/hub/${a.json().id}`, headers: admin })).statusCode).toBe(404);
  });

  it('delivers an event whose transaction commits late, and before the events of transactions that began after it', async () => {
    const late = listener();
    await late.start();
    const registered = await p.app.inject({
      method: 'POST',
      url: '/api/v1/hub',
      headers: bearer(p.adminKey),
      payload: { callback: late.state.url },
    });
    expect(registered.statusCode).toBe(201);
    const event = (orderId: string) => ({
      orderId,
      eventType: 'productOrderStateChangeEvent' as const,
      productOrder: { id: orderId, state: 'held' },
    });
    const suffix = Date.now();
    // The scenario: one transaction writes its event and stays open while a later one commits.
    let written!: () => void;
    const lateWritten = new Promise<void>((resolve) => (written = resolve));
    const slow = p.database.db.transaction(async (tx) => {
      await tx.insert(orderEvents).values(event(`ORD-LATE-${suffix}`));
      written();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    });
    await lateWritten;
    await p.database.db.insert(orderEvents).values(event(`ORD-EARLY-${suffix}`));
    await slow;
    const mine = await eventually(
      async () => late.received.map((r) => r.body.event.productOrder.id).filter((id) => id.endsWith(`-${suffix}`)),
      (ids) => ids.length >= 2,
      30_000,
    );
    expect(mine).toEqual([`ORD-LATE-${suffix}`, `ORD-EARLY-${suffix}`]);
    await late.stop();
  });
});
