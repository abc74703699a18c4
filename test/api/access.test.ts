/**
 * The whole access matrix: every route the app registers, called with a key of every role. A
 * route admitting a role must not answer 401/403 to it; a route not admitting it must answer 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type Role } from '../../domain/vocabulary.js';
import { bearer, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
const keys = {} as Record<Role, string>;

beforeAll(async () => {
  p = await startTestPlatform({ worker: false });
  for (const role of roles) keys[role] = await p.keyFor(role, role === 'backoffice' ? { groups: ['provisioning'] } : {});
});
afterAll(() => p?.close());

/** Concrete URLs for patterns: a well-formed id that matches nothing. */
const concrete = (url: string) => url.replace(/:id\b/g, '00000000-0000-4000-8000-000000000000').replace(/:(\w+)/g, 'does-not-exist');

describe('access matrix', () => {
  it('declares roles on every /api route', () => {
    const apiRoutes = p.app.accessMatrix.filter((r) => r.url.startsWith('/api/'));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(6);
    for (const r of apiRoutes) expect(Array.isArray(r.roles), `${r.method} ${r.url}`).toBe(true);
  });

  it('lets in exactly the declared roles, and nobody without a valid key', async () => {
    const apiRoutes = p.app.accessMatrix.filter((r) => r.url.startsWith('/api/'));
    for (const route of apiRoutes) {
      const call = (headers: Record<string, string>) =>
        p.app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers,
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
        });
      const label = `${route.method} ${route.url}`;

      const anonymous = await call({});
      expect(anonymous.statusCode, `${label} without a key`).toBe(401);
      expect(anonymous.json().code).toBe('UNAUTHENTICATED');
      const forged = await call(bearer('orq_not-a-real-key'));
      expect(forged.statusCode, `${label} with an unknown key`).toBe(401);
      expect(forged.json().code).toBe('INVALID_API_KEY');

      for (const role of roles) {
        const r = await call(bearer(keys[role]));
        if ((route.roles as readonly Role[]).includes(role)) {
          expect([401, 403], `${label} as ${role}: ${r.body}`).not.toContain(r.statusCode);
        } else {
          expect(r.statusCode, `${label} as ${role}`).toBe(403);
          expect(r.json()).toMatchObject({ code: 'FORBIDDEN', details: { allowedRoles: route.roles } });
        }
      }
    }
  });

  it('keeps health, metrics and the API docs public', async () => {
    const publicRoutes = p.app.accessMatrix.filter((r) => r.roles === 'public').map((r) => r.url);
    expect(publicRoutes).toEqual(expect.arrayContaining(['/health', '/ready', '/metrics', '/docs', '/docs/json']));
    expect(publicRoutes.filter((u) => u.startsWith('/api/'))).toEqual([]);
  });
});
