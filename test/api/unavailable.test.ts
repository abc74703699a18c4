/**
 * A part the API depends on is down (issue 12, item 2): every route answers 503 with Retry-After
 * and a code naming the part, fast, and serves again within seconds of the part coming back.
 * The API reaches PostgreSQL and Temporal through TCP gates the tests close; the worker goes
 * direct, so only the API sees the outage.
 */
import { performance } from 'node:perf_hooks';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { retryAfterSeconds } from '../../api/errors.js';
import { orderWorkflowId } from '../../workflows/order.contract.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tcpGate } from '../support/tcp-gate.js';

let p: TestPlatform;
let databaseGate: Awaited<ReturnType<typeof tcpGate>>;
let temporalGate: Awaited<ReturnType<typeof tcpGate>>;

beforeAll(async () => {
  const database = new URL(inject('databaseUrl'));
  databaseGate = await tcpGate({ host: database.hostname, port: Number(database.port || 5432) });
  const [host, port] = inject('devServerAddress').split(':');
  temporalGate = await tcpGate({ host: host!, port: Number(port) });
  p = await startTestPlatform({
    // Every request looks its key up, so each one meets the database.
    apiKeyCacheMs: 0,
    apiVia: { databaseUrl: (url) => databaseGate.through(url), temporalAddress: () => `127.0.0.1:${temporalGate.port}` },
  });
});
afterAll(async () => {
  await p?.close();
  await databaseGate?.stop();
  await temporalGate?.stop();
});

async function timed(send: () => Promise<LightMyRequestResponse>): Promise<{ response: LightMyRequestResponse; ms: number }> {
  const started = performance.now();
  const response = await send();
  return { response, ms: performance.now() - started };
}

function expectUnavailable(response: LightMyRequestResponse, code: string, what: string) {
  expect(response.statusCode, `${what}: ${response.body}`).toBe(503);
  expect(response.headers['retry-after'], what).toBe(String(retryAfterSeconds));
  expect(response.json(), what).toEqual({ code, message: expect.any(String) });
}

const orderBody = (taxId: string) => ({
  customer: { name: `Customer ${taxId}`, taxId },
  contact: { name: 'Contact Person', email: 'contact@customer.example' },
  items: [{ offeringId: 'datahost', components: [], configuration: {} }],
});

describe('a part the API depends on is down', () => {
  it('is documented: every operation under /api may answer 503', async () => {
    const spec = (await p.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, { responses: object }>> };
    const operations = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ operation: `${method} ${path}`, responses: op.responses })));
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((o) => !('503' in o.responses)).map((o) => o.operation)).toEqual([]);
  });

  it('answers 503 DATABASE_UNAVAILABLE fast while PostgreSQL cannot be reached, and serves at once when it can again', async () => {
    const agent = bearer(await p.keyFor('agent'));
    // The bootstrap key needs no lookup, so its requests reach the route's own statements.
    const admin = bearer(p.adminKey);
    const orderId = await p.enterOrder(agent, { taxId: `DBDOWN-${Date.now()}` });
    const requests = {
      'API-key check': () => p.app.inject({ method: 'GET', url: `/api/v1/productOrders/${orderId}`, headers: agent }),
      read: () => p.app.inject({ method: 'GET', url: '/api/v1/productOrders?limit=5', headers: admin }),
      command: () => p.app.inject({ method: 'POST', url: '/api/v1/apiKeys', headers: admin, payload: { role: 'support' } }),
    };

    databaseGate.close();
    try {
      // A dozen failed connection attempts: by then postgres.js's default backoff had grown to
      // 10-20 s, and the first request after the outage waited that long.
      for (let round = 0; round < 4; round++) {
        for (const [what, send] of Object.entries(requests)) {
          const { response, ms } = await timed(send);
          expectUnavailable(response, 'DATABASE_UNAVAILABLE', what);
          expect(ms, what).toBeLessThan(2_000);
        }
      }
      const ready = await p.app.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe(String(retryAfterSeconds));
      expect(ready.json()).toEqual({ status: 'notReady', checks: { database: 'failing', temporal: 'ok' } });
    } finally {
      databaseGate.open();
    }

    const reopened = performance.now();
    const back = await eventually(requests['API-key check'], (r) => r.statusCode === 200, 10_000);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().id).toBe(orderId);
    expect(performance.now() - reopened).toBeLessThan(2_000);
    expect((await requests.read()).statusCode).toBe(200);
    expect((await requests.command()).statusCode).toBe(201);
    expect((await p.app.inject('/ready')).statusCode).toBe(200);
  });

  it('answers 503 TEMPORAL_UNAVAILABLE fast while Temporal cannot be reached, and serves within seconds when it can again', async () => {
    const agent = bearer(await p.keyFor('agent'));
    const support = bearer(await p.keyFor('support'));
    const orderId = await p.enterOrder(agent, { taxId: `TDOWN-${Date.now()}` });
    const requests = {
      // describe(): a read that only Temporal answers
      read: () => p.app.inject({ method: 'GET', url: `/api/v1/workflows/${orderWorkflowId(orderId)}`, headers: support }),
      // an update on a running workflow
      command: () =>
        p.app.inject({
          method: 'POST',
          url: `/api/v1/productOrders/${orderId}/cancel`,
          headers: agent,
          payload: { reason: 'the customer changed their mind' },
        }),
      // update-with-start: never a 202 for an order that was not started
      entry: () =>
        p.app.inject({ method: 'POST', url: '/api/v1/productOrders', headers: agent, payload: orderBody(`TDOWN2-${Date.now()}`) }),
    };

    temporalGate.close();
    try {
      for (const [what, send] of Object.entries(requests)) {
        const { response, ms } = await timed(send);
        expectUnavailable(response, 'TEMPORAL_UNAVAILABLE', what);
        expect(ms, what).toBeLessThan(3_000);
      }
      const ready = await p.app.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe(String(retryAfterSeconds));
      expect(ready.json()).toEqual({ status: 'notReady', checks: { database: 'ok', temporal: 'failing' } });
    } finally {
      temporalGate.open();
    }

    const reopened = performance.now();
    const back = await eventually(requests.read, (r) => r.statusCode === 200, 10_000);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ workflowId: orderWorkflowId(orderId), status: 'running' });
    expect(performance.now() - reopened).toBeLessThan(5_000);
    expect((await requests.entry()).statusCode).toBe(201);
    expect((await requests.command()).statusCode).toBe(202);
    expect((await p.app.inject('/ready')).statusCode).toBe(200);
  });
});
