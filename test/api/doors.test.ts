/**
 * The API's door: security headers on every answer, refusals included, with the Swagger UI still
 * loading under a policy of its own; and a rate limit per API key, or per address for a caller
 * without a valid key, answered 429 with Retry-After and the house's error body.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tcpGate } from '../support/tcp-gate.js';

let p: TestPlatform;
let keyA: string, keyB: string, keyC: string;
beforeAll(async () => {
  p = await startTestPlatform({ worker: false, rateLimits: { perKey: 5, perAddress: 4, windowSeconds: 60 } });
  [keyA, keyB, keyC] = [await p.keyFor('support'), await p.keyFor('support'), await p.keyFor('support')];
});
afterAll(() => p?.close());

/** Each test calls from an address of its own, so address budgets never mix between tests. */
const get = (url: string, o: { key?: string; from: string }) =>
  p.app.inject({ method: 'GET', url, remoteAddress: o.from, headers: o.key ? bearer(o.key) : {} });

const apiHeaders = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

describe('security headers', () => {
  it('come with every API answer: served, refused, not found, health', async () => {
    for (const [url, key, status] of [
      ['/api/v1/catalog/products', keyC, 200],
      ['/api/v1/catalog/products', undefined, 401],
      ['/api/v1/nothing-here', keyC, 404],
      ['/health', undefined, 200],
    ] as const) {
      const r = await get(url, { key, from: '10.0.0.1' });
      expect(r.statusCode, url).toBe(status);
      expect(r.headers, `${url} (${status})`).toMatchObject(apiHeaders);
    }
  });

  it('let the Swagger UI load: its page, every script and stylesheet it names, and the document, under its own policy', async () => {
    const page = await get('/docs/', { from: '10.0.0.2' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).not.toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    const assets = [...page.body.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(
      expect.arrayContaining(['static/swagger-ui-bundle.js', 'static/swagger-initializer.js', 'static/swagger-ui.css']),
    );
    // More files than an address's budget here (4): an address per file keeps this check on the files.
    for (const [i, asset] of assets.entries()) {
      const r = await get(`/docs/${asset}`, { from: `10.0.2.${i}` });
      expect(r.statusCode, asset).toBe(200);
      expect(r.headers['content-type'], asset).toMatch(asset.endsWith('.js') ? /javascript/ : asset.endsWith('.css') ? /css/ : /image/);
    }
    const initializer = (await get('/docs/static/swagger-initializer.js', { from: '10.0.0.3' })).body;
    expect(initializer).toContain("resolveUrl('./json')");
    const document = await get('/docs/json', { from: '10.0.0.4' });
    expect(document.statusCode).toBe(200);
    expect(document.json().openapi).toMatch(/^3\./);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After and RATE_LIMITED once a key has spent its budget, while another key goes on', async () => {
    const from = '10.0.1.1';
    for (let i = 1; i <= 5; i++) {
      const r = await get('/api/v1/catalog/products', { key: keyA, from });
      expect(r.statusCode, `call ${i}`).toBe(200);
      expect(r.headers['x-ratelimit-limit']).toBe('5');
      expect(r.headers['x-ratelimit-remaining']).toBe(String(5 - i));
    }
    const limited = await get('/api/v1/catalog/products', { key: keyA, from });
    expect(limited.statusCode).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json()).toEqual({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/API key: 5 per 60 s; retry in \d+ s/),
      details: { limit: 5, windowSeconds: 60, retryAfterSeconds: retryAfter },
    });
    expect(limited.headers).toMatchObject(apiHeaders);
    // Every route counts against the same key; another key from the same address has its own budget.
    expect((await get('/api/v1/workflows?limit=1', { key: keyA, from })).statusCode).toBe(429);
    expect((await get('/api/v1/catalog/products', { key: keyB, from })).statusCode).toBe(200);
    expect((await get('/api/v1/catalog/products', { key: keyB, from: '10.0.1.2' })).statusCode).toBe(200);
  });

  it('counts callers without a valid key by address: no key and refused keys alike, never a valid key or health', async () => {
    const from = '10.0.1.3';
    const answers = [
      await get('/api/v1/catalog/products', { from }),
      await get('/api/v1/catalog/products', { key: 'orq_guessed-1', from }),
      await get('/api/v1/catalog/products', { key: 'orq_guessed-2', from }),
      await get('/docs/json', { from }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 200]);
    for (const key of [undefined, 'orq_guessed-3']) {
      const limited = await get('/api/v1/catalog/products', { key, from });
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 4 } });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await get('/docs/json', { from })).statusCode).toBe(429);
    // Another address is not limited; a valid key from this one counts against the key, not the address.
    expect((await get('/api/v1/catalog/products', { from: '10.0.1.4' })).statusCode).toBe(401);
    expect((await get('/api/v1/catalog/products', { key: keyB, from })).statusCode).toBe(200);
    // Probes and scrapes are never limited.
    for (const url of ['/health', '/ready', '/metrics']) expect((await get(url, { from })).statusCode, url).toBe(200);
  });

  it('refuses made-up keys past the address budget before looking them up: 429 even with the database out of reach', async () => {
    const database = new URL(inject('databaseUrl'));
    const gate = await tcpGate({ host: database.hostname, port: Number(database.port || 5432) });
    const q = await startTestPlatform({
      worker: false,
      rateLimits: { perKey: 100, perAddress: 3, windowSeconds: 60 },
      apiVia: { databaseUrl: (url) => gate.through(url) },
    });
    try {
      const guess = (n: number, remoteAddress: string) =>
        q.app.inject({ method: 'GET', url: '/api/v1/catalog/products', remoteAddress, headers: bearer(`orq_guessed-${n}`) });
      const from = '10.0.3.1';
      for (let n = 1; n <= 3; n++) expect((await guess(n, from)).statusCode, `guess ${n}`).toBe(401);
      // With no database to look keys up in, a lookup would be a 503: the flood's next keys are refused without one.
      gate.close();
      for (let n = 4; n <= 6; n++) {
        const limited = await guess(n, from);
        expect(limited.statusCode, `guess ${n}: ${limited.body}`).toBe(429);
        expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 3 } });
      }
      // An address with budget left still has its key looked up, and so meets the outage.
      const looked = await guess(7, '10.0.3.2');
      expect([looked.statusCode, looked.json().code]).toEqual([503, 'DATABASE_UNAVAILABLE']);
    } finally {
      gate.open();
      await q.close();
      await gate.stop();
    }
  });

  it('serves the key again once Retry-After has passed', async () => {
    const q = await startTestPlatform({ worker: false, rateLimits: { perKey: 2, perAddress: 100, windowSeconds: 2 } });
    try {
      const key = await q.keyFor('support');
      const call = () => q.app.inject({ method: 'GET', url: '/api/v1/catalog/products', headers: bearer(key) });
      let limited = await call();
      for (let i = 0; i < 3 && limited.statusCode === 200; i++) limited = await call();
      expect(limited.statusCode).toBe(429);
      const retryAfterMs = Number(limited.headers['retry-after']) * 1000;
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(2000);
      const refusedAt = Date.now();
      const served = await eventually(call, (r) => r.statusCode === 200, retryAfterMs + 1000);
      expect(served.statusCode).toBe(200);
      expect(Date.now() - refusedAt).toBeLessThanOrEqual(retryAfterMs + 1000);
    } finally {
      await q.close();
    }
  });
});
