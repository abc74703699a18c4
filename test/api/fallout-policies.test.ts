/**
 * The fallout policy table over HTTP: everyone who handles fallout reads it, admins change a row,
 * and a change the step cannot take is refused with why. (Its effect on orders, a change applying
 * to steps that start after it, is shown in test/workflows/fallout.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFalloutPolicies } from '../../catalog/fallout-policies.js';
import { bearer, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
let admin: Record<string, string>;
let backoffice: Record<string, string>;
// A row no order of the shared test database reaches (no compensation fails there), so the
// other files running alongside are not affected while it is changed.
const id = 'deactivation.COMPENSATION_FAILED';
const shipped = defaultFalloutPolicies.find((r) => r.id === id)!;

beforeAll(async () => {
  p = await startTestPlatform({ worker: false });
  admin = bearer(await p.keyFor('admin'));
  backoffice = bearer(await p.keyFor('backoffice', { groups: ['fallout'] }));
});
afterAll(async () => {
  await p?.app.inject({ method: 'PUT', url: `/api/v1/falloutPolicies/${id}`, headers: admin, payload: shipped });
  await p?.close();
});

describe('fallout policies', () => {
  it('lists the seeded table, one row per step and error code', async () => {
    const r = await p.app.inject({ method: 'GET', url: '/api/v1/falloutPolicies', headers: backoffice });
    expect(r.statusCode).toBe(200);
    const rows = r.json<{ id: string; step: string; errorCode: string; first: unknown; second: unknown }[]>();
    expect(rows.map((row) => row.id).sort()).toEqual(defaultFalloutPolicies.map((row) => row.id).sort());
    expect(rows.find((row) => row.id === 'activation.ACTIVATION_FAILED')).toMatchObject({
      step: 'activation',
      errorCode: 'ACTIVATION_FAILED',
      first: { kind: 'retry', count: 2, backoffSeconds: 900 },
      second: { kind: 'manual' },
    });
    expect(r.headers['x-total-count']).toBe(String(rows.length));
  });

  it('lets an admin change a row; the change is read back, with who made it, and a repeat answers the same', async () => {
    const change = { first: { kind: 'retry', count: 5, backoffSeconds: 120 }, second: { kind: 'manual' }, description: 'five quick tries' };
    const put = () => p.app.inject({ method: 'PUT', url: `/api/v1/falloutPolicies/${id}`, headers: admin, payload: change });
    const first = await put();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id, ...change, updatedBy: expect.any(String) });
    const again = await put();
    expect(again.statusCode).toBe(200);
    expect({ ...again.json(), updatedAt: null }).toEqual({ ...first.json(), updatedAt: null });
    const read = await p.app.inject({ method: 'GET', url: `/api/v1/falloutPolicies/${id}`, headers: backoffice });
    expect(read.json()).toMatchObject(change);
  });

  it('refuses a policy the step cannot take (422), a malformed one (400) and an unknown row (404), changing nothing', async () => {
    const before = (await p.app.inject({ method: 'GET', url: `/api/v1/falloutPolicies/${id}`, headers: admin })).json();
    const skip = await p.app.inject({
      method: 'PUT',
      url: `/api/v1/falloutPolicies/${id}`,
      headers: admin,
      payload: { first: { kind: 'skip' }, second: { kind: 'manual' } },
    });
    expect(skip.statusCode).toBe(422);
    expect(skip.json()).toMatchObject({ code: 'POLICY_NOT_ALLOWED', message: expect.stringContaining('retry or manual') });
    const malformed = await p.app.inject({
      method: 'PUT',
      url: `/api/v1/falloutPolicies/${id}`,
      headers: admin,
      payload: { first: { kind: 'retry', count: 0, backoffSeconds: 10 }, second: { kind: 'manual' } },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('VALIDATION_FAILED');
    const unknown = await p.app.inject({
      method: 'PUT',
      url: '/api/v1/falloutPolicies/activation.NOT_A_CODE',
      headers: admin,
      payload: { first: { kind: 'manual' }, second: { kind: 'manual' } },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('FALLOUT_POLICY_NOT_FOUND');
    const after = (await p.app.inject({ method: 'GET', url: `/api/v1/falloutPolicies/${id}`, headers: admin })).json();
    expect(after).toEqual(before);
  });
});
