/**
 * The HTTP adapters against a real HTTP server on loopback: what they send (idempotency key,
 * payload) and how they classify failures (4xx final, the rest retried by Temporal).
 */
import { createServer } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationSimulator, HttpActivationSystem } from '../../activities/adapters/activation.js';
import { HttpBillingSystem, BillingSimulator, type ReadyForBilling } from '../../activities/adapters/billing.js';
import { startLoopback } from '../support/loopback.js';

let server: Awaited<ReturnType<typeof startLoopback>>;
let base: string;
const received: { path: string; key: string | undefined; body: any; auth?: string }[] = [];
let nextStatus = 200;

beforeAll(async () => {
  server = await startLoopback(({ path, headers, body }) => {
    received.push({ path, key: headers['idempotency-key'] as string | undefined, body, auth: headers.authorization as string | undefined });
    return { status: nextStatus, body: nextStatus < 300 ? { activationId: 'ACT-9', status: 'activated' } : { error: 'nope' } };
  });
  base = server.url;
});
afterAll(() => server.close());

const request = {
  idempotencyKey: 'ORD-1:1.datahost.ftp:activate',
  orderId: 'ORD-1',
  serviceId: 'ORD-1:svc:1.datahost.ftp',
  componentId: 'datahost.ftp',
  phase: 1,
  configuration: { domainName: 'x.example' },
};

describe('HTTP activation adapter', () => {
  it('posts the activation with its idempotency key and returns the result', async () => {
    nextStatus = 200;
    received.length = 0;
    expect(await new HttpActivationSystem(base).activate(request)).toEqual({ activationId: 'ACT-9', status: 'activated' });
    expect(received).toEqual([{ path: '/activations', key: request.idempotencyKey, body: request, auth: undefined }]);
  });

  it('treats a 4xx as final (not retried) and a 5xx as retryable', async () => {
    nextStatus = 422;
    const refused = await new HttpActivationSystem(base).activate(request).catch((e) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'ActivationRejected', nonRetryable: true });
    nextStatus = 503;
    const failed = await new HttpActivationSystem(base).activate(request).catch((e) => e);
    expect(failed).not.toBeInstanceOf(ApplicationFailure);
    expect(failed.message).toContain('503');
  });

  it('gives up on a system that does not answer in time', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = new HttpActivationSystem(`http://127.0.0.1:${(silent.address() as { port: number }).port}`, 200);
      await expect(slow.activate(request)).rejects.toThrow(/abort|timeout/i);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('activation simulator', () => {
  it('performs an activation once per idempotency key and fails at its configured rate', async () => {
    const sim = new ActivationSimulator({ latencyMs: 0, failureRate: 0 });
    const first = await sim.activate(request);
    expect(await sim.activate(request)).toEqual(first);
    expect(sim.performed.get(request.idempotencyKey)).toBe(1);
    const broken = new ActivationSimulator({ latencyMs: 0, failureRate: 1 });
    await expect(broken.activate(request)).rejects.toThrow(/simulated outage/);
  });
});

const rfb: ReadyForBilling = {
  rfbId: 'ORD-1:rfb:1',
  orderId: 'ORD-1',
  phase: 1,
  customer: { id: 'CUST-1', name: 'Acme', taxId: 'A-1' },
  billingAccountId: null,
  currency: 'EUR',
  items: [],
  oneTimeCents: 100,
  recurringCents: 10,
  startDate: '2026-11-23',
};

describe('billing adapters', () => {
  it('http: posts the RFB with the RFB id as idempotency key; 4xx is final', async () => {
    nextStatus = 202;
    received.length = 0;
    await new HttpBillingSystem(base).sendReadyForBilling(rfb);
    expect(received).toEqual([{ path: '/readyForBilling', key: rfb.rfbId, body: rfb, auth: undefined }]);
    nextStatus = 400;
    await expect(new HttpBillingSystem(base).sendReadyForBilling(rfb)).rejects.toMatchObject({
      type: 'BillingRejected',
      nonRetryable: true,
    });
  });

  it('simulator: acknowledges through the API as the billing system would, after its delay', async () => {
    nextStatus = 200;
    received.length = 0;
    const sim = new BillingSimulator(50);
    await expect(sim.sendReadyForBilling(rfb)).rejects.toThrow(/not connected/);
    sim.connect(base, 'billing-key');
    await sim.sendReadyForBilling(rfb);
    expect(received).toEqual([]);
    expect(sim.held(rfb.orderId)).toEqual([
      { rfbId: rfb.rfbId, orderId: rfb.orderId, phase: 1, componentIds: [], state: 'received', cycle: 'notStarted' },
    ]);
    await until(() => sim.held(rfb.orderId)[0]!.cycle === 'running');
    expect(received).toEqual([
      {
        path: '/api/v1/billing/acknowledgements',
        key: undefined,
        auth: 'Bearer billing-key',
        body: { rfbId: rfb.rfbId, status: 'accepted', billingAccountId: 'BA-CUST-1', cycleStartDate: '2026-11-23' },
      },
    ]);
    expect(sim.held(rfb.orderId)[0]).toMatchObject({ state: 'acknowledged', cycle: 'running' });
    await sim.stopCycle({ rfbId: rfb.rfbId, orderId: rfb.orderId, reason: 'cancelled', endDate: '2026-11-24' });
    expect(sim.held(rfb.orderId)[0]).toMatchObject({ state: 'withdrawn', cycle: 'stopped' });
  });

  it('simulator: a withdrawn RFB never starts a cycle, even when its acknowledgement was on its way', async () => {
    nextStatus = 200;
    const sim = new BillingSimulator(0);
    sim.connect(base, 'billing-key');
    const other = { ...rfb, rfbId: 'ORD-2:rfb:1', orderId: 'ORD-2' };
    await sim.sendReadyForBilling(other);
    await sim.withdraw({ rfbId: other.rfbId, orderId: other.orderId, reason: 'cancelled' });
    await until(() => received.some((r) => r.body?.rfbId === other.rfbId));
    expect(sim.held(other.orderId)).toEqual([expect.objectContaining({ state: 'withdrawn', cycle: 'notStarted' })]);
  });

  it('http: withdraws an RFB and stops a cycle at their own routes, idempotent by RFB id', async () => {
    nextStatus = 202;
    received.length = 0;
    const billing = new HttpBillingSystem(base);
    await billing.withdraw({ rfbId: 'ORD-1:rfb:2', orderId: 'ORD-1', reason: 'cancelled' });
    await billing.stopCycle({ rfbId: 'ORD-1:rfb:1', orderId: 'ORD-1', reason: 'cancelled', endDate: '2026-11-24' });
    expect(received.map((r) => [r.path, r.key])).toEqual([
      ['/readyForBilling/ORD-1%3Arfb%3A2/withdrawal', 'ORD-1:rfb:2:withdrawal'],
      ['/readyForBilling/ORD-1%3Arfb%3A1/cycleStop', 'ORD-1:rfb:1:cycleStop'],
    ]);
    expect(received[1]!.body).toMatchObject({ endDate: '2026-11-24' });
  });
});

/** Waits for a condition that settles asynchronously (a timer, a loopback request). */
async function until(done: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 20));
  }
}
