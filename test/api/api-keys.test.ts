import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { apiKeys } from '../../db/schema.js';
import { hashApiKey } from '../../db/api-keys.js';
import { bearer, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
beforeAll(async () => void (p = await startTestPlatform({ worker: false, apiKeyCacheMs: 1_000 })));
afterAll(() => p?.close());

const asAdmin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  p.app.inject({ method, url, headers: bearer(p.adminKey), ...(payload ? { payload } : {}) });

describe('API keys', () => {
  it('creates a key that works, stores only its hash, lists it without the key, and revokes it', async () => {
    const created = await asAdmin('POST', '/api/v1/apiKeys', {
      role: 'backoffice',
      groups: ['provisioning', 'fallout'],
      label: 'night shift',
    });
    expect(created.statusCode).toBe(201);
    const key = created.json();
    expect(key).toMatchObject({
      role: 'backoffice',
      groups: ['provisioning', 'fallout'],
      customerId: null,
      label: 'night shift',
      revokedAt: null,
    });
    expect(key.key).toMatch(/^orq_[A-Za-z0-9_-]{43}$/);

    const [row] = await p.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row!.keyHash).toBe(hashApiKey(key.key));
    expect(JSON.stringify(row)).not.toContain(key.key);

    const listed = await asAdmin('GET', '/api/v1/apiKeys?limit=200');
    expect(Number(listed.headers['x-total-count'])).toBeGreaterThanOrEqual(1);
    const entry = listed.json().find((k: { id: string }) => k.id === key.id);
    expect(entry).toMatchObject({ role: 'backoffice', label: 'night shift' });
    expect(entry).not.toHaveProperty('key');
    expect(listed.body).not.toContain(row!.keyHash);

    // The new key authenticates: a backoffice key reaches an admin route and is refused by role, not by identity.
    expect((await p.app.inject({ method: 'GET', url: '/api/v1/apiKeys', headers: bearer(key.key) })).statusCode).toBe(403);

    expect((await asAdmin('DELETE', `/api/v1/apiKeys/${key.id}`)).statusCode).toBe(204);
    const revoked = await p.app.inject({ method: 'GET', url: '/api/v1/apiKeys', headers: bearer(key.key) });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().code).toBe('INVALID_API_KEY');
    // Revoking twice is the same as once.
    expect((await asAdmin('DELETE', `/api/v1/apiKeys/${key.id}`)).statusCode).toBe(204);
  });

  it('knows a valid key for a short while: a revocation through another API process counts here within it', async () => {
    const key = (await asAdmin('POST', '/api/v1/apiKeys', { role: 'support' })).json();
    const use = () => p.app.inject({ method: 'GET', url: '/api/v1/workflows?limit=1', headers: bearer(key.key) });
    expect((await use()).statusCode).not.toBe(401);
    // Revoked in the table, as another API process does: this one knew the key a moment ago.
    await p.database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id));
    expect((await use()).statusCode).not.toBe(401);
    const deadline = Date.now() + 10_000;
    let status = 0;
    while ((status = (await use()).statusCode) !== 401 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
    expect(status).toBe(401);
  });

  it('binds a customer key to its customer', async () => {
    const created = await asAdmin('POST', '/api/v1/apiKeys', { role: 'customer', customerId: 'CUST-42' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ role: 'customer', customerId: 'CUST-42', groups: [] });
  });

  it.each([
    [{ role: 'customer' }, 'customerId'],
    [{ role: 'agent', customerId: 'CUST-1' }, 'customerId'],
    [{ role: 'agent', groups: ['provisioning'] }, 'groups'],
    [{ role: 'wizard' }, 'role'],
    [{ role: 'admin', extra: true }, ''],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const r = await asAdmin('POST', '/api/v1/apiKeys', body);
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('VALIDATION_FAILED');
    if (field) expect(r.json().details.issues.map((i: { path: string }) => i.path)).toContain(field);
  });

  it('answers 404 for an unknown key and 400 for an id that is not one', async () => {
    const unknown = await asAdmin('DELETE', '/api/v1/apiKeys/7d8e2d6c-3f7a-4c55-9a43-3b1f0f1c2a11');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('API_KEY_NOT_FOUND');
    expect((await asAdmin('DELETE', '/api/v1/apiKeys/not-a-uuid')).statusCode).toBe(400);
  });
});
