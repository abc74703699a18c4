/**
 * Nothing a client can send yields a 500. Every operation of the OpenAPI document is called with
 * the kinds of wrong input clients really send, with a key that passes authorization, and every
 * answer must be a 4xx (or a 2xx where the input happens to be acceptable) with the error body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
beforeAll(async () => void (p = await startTestPlatform({ worker: false })));
afterAll(() => p?.close());

const oddValues = [
  '',
  ' ',
  '-1',
  '1e309',
  'NaN',
  'null',
  '[]',
  '{}',
  "' OR 1=1 --",
  '%00',
  '\u0000',
  '..%2F..%2Fetc',
  'ü'.repeat(300),
  'x'.repeat(5000),
];
const oddBodies: Array<{ payload: string; contentType: string }> = [
  { payload: '{', contentType: 'application/json' },
  { payload: '[]', contentType: 'application/json' },
  { payload: 'null', contentType: 'application/json' },
  { payload: '"text"', contentType: 'application/json' },
  { payload: '{"role":{"$ne":null}}', contentType: 'application/json' },
  { payload: JSON.stringify({ role: 'admin', groups: 'not-an-array', customerId: 12 }), contentType: 'application/json' },
  { payload: '{"__proto__":{"polluted":true}}', contentType: 'application/json' },
  { payload: 'role=admin', contentType: 'application/x-www-form-urlencoded' },
  { payload: '<xml/>', contentType: 'text/xml' },
  { payload: JSON.stringify({ big: 'x'.repeat(2 * 1024 * 1024) }), contentType: 'application/json' },
];

describe('client errors', () => {
  it('answers every odd request to every operation with a 4xx and the error body, never a 5xx', async () => {
    const spec = (await p.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const operations = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ path, method: method.toUpperCase() })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(8);
    const headers = bearer(p.adminKey);
    let calls = 0;

    for (const { path, method } of operations) {
      const urls = oddValues.map(
        (v) =>
          path.replace(/\{[^}]+\}/g, encodeURIComponent(v)) +
          `?limit=${encodeURIComponent(v)}&offset=${encodeURIComponent(v)}&status=${encodeURIComponent(v)}&type=${encodeURIComponent(v)}&view=${encodeURIComponent(v)}`,
      );
      for (const url of urls) {
        const r = await p.app.inject({ method: method as 'GET', url, headers, ...(method === 'POST' ? { payload: {} } : {}) });
        calls++;
        expect(r.statusCode, `${method} ${url.slice(0, 120)}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
        if (r.statusCode >= 400)
          expect(r.json(), `${method} ${url.slice(0, 120)}`).toEqual(
            expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
          );
      }
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
        for (const { payload, contentType } of oddBodies) {
          const r = await p.app.inject({
            method,
            url: path.replace(/\{[^}]+\}/g, 'x'),
            headers: { ...headers, 'content-type': contentType },
            payload,
          });
          calls++;
          expect(r.statusCode, `${method} ${path} with ${payload.slice(0, 60)}: ${r.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
          expect(r.statusCode).toBeLessThan(500);
          expect(r.json().code).toEqual(expect.any(String));
        }
      }
    }
    expect(calls).toBeGreaterThan(100);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers unknown routes and methods with 404 ROUTE_NOT_FOUND', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nothing'],
      ['PATCH', '/api/v1/apiKeys'],
      ['GET', '/'],
      ['DELETE', '/health'],
    ] as const) {
      const r = await p.app.inject({ method, url, headers: bearer(p.adminKey) });
      expect(r.statusCode, `${method} ${url}`).toBe(404);
      expect(r.json().code).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('refuses a body over 64 KB with 413 before reading it, and takes one just under', async () => {
    const order = (filler: number) => ({
      customer: { name: 'Grande SA', taxId: 'G-413' },
      contact: { name: 'Gil', email: 'gil@grande.example' },
      items: [{ offeringId: 'datahost', configuration: { note: 'x'.repeat(filler) } }],
    });
    const headers = bearer(await p.keyFor('agent'));
    const tooLarge = await p.app.inject({ method: 'POST', url: '/api/v1/productOrders', headers, payload: order(70 * 1024) });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    // Under the limit the body is read and judged by its schema (a value of 500 characters at most).
    const read = await p.app.inject({ method: 'POST', url: '/api/v1/productOrders', headers, payload: order(60 * 1024) });
    expect(read.statusCode).toBe(400);
    expect(read.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses malformed authorization headers with 401, not an error', async () => {
    for (const authorization of ['Bearer', 'Bearer  ', 'Basic dXNlcjpwYXNz', `Bearer ${'k'.repeat(8000)}`, 'Bearer a b']) {
      const r = await p.app.inject({ method: 'GET', url: '/api/v1/workflows', headers: { authorization } });
      expect(r.statusCode, authorization.slice(0, 30)).toBe(401);
    }
  });
});
