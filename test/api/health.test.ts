import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { openDatabase } from '../../db/client.js';
import { defaultOrderSettings, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
beforeAll(async () => void (p = await startTestPlatform({ worker: false })));
afterAll(() => p?.close());

describe('health, readiness, metrics, docs', () => {
  it('is up and ready with a reachable database and Temporal', async () => {
    expect((await p.app.inject('/health')).json()).toEqual({ status: 'up' });
    const ready = await p.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
  });

  it('is not ready, and says which part fails, when the database is unreachable', async () => {
    const database = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/nowhere', poolSize: 1, dataDir: '.data/test' });
    const connection = await Connection.connect({ address: inject('devServerAddress') });
    const app = await buildApp({
      database,
      temporal: { client: new Client({ connection }), connection, namespace: 'default' },
      logger: pino({ level: 'silent' }),
      orders: { taskQueue: 'unused', settings: defaultOrderSettings, answerWithinMs: 1000 },
      cases: { taskQueue: 'unused', answerWithinMs: 1000 },
      recalls: { taskQueue: 'unused', answerWithinMs: 1000 },
    });
    try {
      const ready = await app.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'notReady', checks: { database: 'failing', temporal: 'ok' } });
    } finally {
      await app.close();
      await connection.close();
      await database.close();
    }
  });

  it('counts requests by route pattern in Prometheus format', async () => {
    await p.app.inject('/api/v1/workflows/some-id');
    const metrics = await p.app.inject('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(
      /orquesta_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/workflows\/:workflowId",status="401"\} 1/,
    );
    expect(metrics.body).toContain('orquesta_api_process_resident_memory_bytes');
  });

  it('tags every response with a request id, keeping a sane one the caller sent', async () => {
    expect((await p.app.inject({ url: '/health', headers: { 'x-request-id': 'billing-7f3a' } })).headers['x-request-id']).toBe(
      'billing-7f3a',
    );
    const replaced = (await p.app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } })).headers['x-request-id'];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI 3 document generated from the route schemas, and its UI', async () => {
    const spec = (await p.app.inject('/docs/json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.paths['/api/v1/apiKeys'].post.requestBody.content['application/json'].schema.properties.role.enum).toEqual(
      expect.arrayContaining(['agent', 'backoffice', 'billing', 'support', 'admin', 'customer']),
    );
    expect(spec.paths['/api/v1/workflows/{workflowId}/history'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'view', in: 'query' })]),
    );
    expect(spec.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await p.app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});
