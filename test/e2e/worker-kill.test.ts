/**
 * A worker killed (SIGKILL) in the middle of a compensation loses nothing and repeats nothing at
 * the activation system: another worker takes over, every component sent is deactivated exactly
 * once, and the cancel request ends done. The activation system is a loopback HTTP simulator that
 * answers deactivations slowly, so the kill lands mid-compensation.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { datahost } from '../../catalog/datahost.js';
import { activations } from '../../db/schema.js';
import { startLoopback } from '../support/loopback.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startWorkerProcess } from '../support/worker-processes.js';

/** The activation system over HTTP: performs each idempotency key once, answers deactivations after a while. */
function activationSystem() {
  const performed = new Map<string, number>();
  const requests: string[] = [];
  const active = new Map<string, boolean>();
  let server: Awaited<ReturnType<typeof startLoopback>> | undefined;
  return {
    performed,
    requests,
    active,
    url: () => server!.url,
    async start() {
      server = await startLoopback(({ path, body }) => {
        const { idempotencyKey, activationKey } = body as { idempotencyKey: string; activationKey?: string };
        const deactivating = path === '/deactivations';
        requests.push(idempotencyKey);
        // The first request per key performs it; a repeat (a retry) answers the same.
        if (!performed.has(idempotencyKey)) {
          active.set(deactivating ? activationKey! : idempotencyKey, !deactivating);
          performed.set(idempotencyKey, 1);
        }
        return {
          status: 200,
          body: { activationId: idempotencyKey, status: deactivating ? 'deactivated' : 'activated' },
          delayMs: deactivating ? 700 : 0,
        };
      });
    },
    stop: () => server?.close(),
  };
}

const system = activationSystem();
let p: TestPlatform;
const workers: ChildProcess[] = [];

/** Starts a worker process and resolves once it polls. */
async function startWorker(): Promise<ChildProcess> {
  const child = await startWorkerProcess(p.taskQueue, { ACTIVATION_URL: system.url() });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  await system.start();
  p = await startTestPlatform({ worker: false });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await p?.close();
  await system.stop();
});

describe('a worker killed mid-compensation', () => {
  it('loses nothing and repeats nothing at the activation system', { timeout: 180_000 }, async () => {
    await startWorker();
    const agent = bearer(await p.keyFor('agent'));
    const id = await p.enterOrder(agent, {
      taxId: `KILL-${Date.now()}`,
      components: datahost.components.filter((c) => c.fulfilment === 'auto-phase-1' && !c.mandatory).map((c) => c.id),
    });
    await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/productOrders/${id}`, headers: agent })).json(),
      (o) => o.milestones.acceptance1.status === 'inProgress',
      60_000,
    );
    const activated = [...system.performed.keys()].filter((k) => k.startsWith(`${id}:`) && k.endsWith(':activate'));
    expect(activated.length).toBeGreaterThan(1);

    const cancel = await p.app.inject({
      method: 'POST',
      url: '/api/v1/cancelProductOrder',
      headers: agent,
      payload: { productOrder: { id }, cancellationReason: 'pull the plug' },
    });
    expect(cancel.statusCode).toBe(201);
    // The first deactivation is on its way: kill the worker now, and start another.
    await eventually(async () => system.requests.some((k) => k.startsWith(`${id}:`) && k.endsWith(':deactivate')), Boolean, 60_000);
    workers[0]!.kill('SIGKILL');
    await startWorker();

    const done = await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/cancelProductOrder/${cancel.json().id}`, headers: agent })).json(),
      (r) => r.state === 'done',
      150_000,
    );
    expect(done.state).toBe('done');
    for (const key of activated) {
      expect(system.performed.get(key), key).toBe(1);
      expect(system.performed.get(key.replace(/:activate$/, ':deactivate')), key).toBe(1);
      expect(system.active.get(key), key).toBe(false);
    }
    const order = (await p.app.inject({ method: 'GET', url: `/api/v1/productOrders/${id}`, headers: agent })).json();
    expect(order.state).toBe('cancelled');
    // The killed attempt's calls were sent again by the next; none of its rows is left `sent`.
    const rows = await p.database.db.select().from(activations).where(eq(activations.orderId, id));
    expect(rows.filter((r) => r.status === 'sent')).toEqual([]);
    const lost = rows.filter((r) => r.status === 'failed');
    expect(lost.length).toBeGreaterThan(0);
    for (const r of lost)
      expect((r.result as { error: string }).error).toMatch(/the attempt \d+ that sent it stopped; attempt \d+ sent it again/);
  });
});
