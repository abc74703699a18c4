/**
 * API-key authentication and role checks. Every route under /api declares in its config which
 * roles it admits (`config: { roles: [...] }`); a route that forgets is refused at start-up.
 */
import { hashApiKey } from '../db/api-keys.js';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { and, eq, isNull } from 'drizzle-orm';
import type { Role } from '../domain/vocabulary.js';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import { DomainError } from './errors.js';

export interface Principal {
  keyId: string;
  role: Role;
  groups: string[];
  customerId: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The roles that may call this route, or 'public' for health, metrics and docs. A public route
     * with `rateLimit: false` is never rate-limited.
     */
    roles?: readonly Role[] | 'public';
  }
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    /** Every route with the roles it admits: the access matrix, as the app really enforces it. */
    accessMatrix: { method: string; url: string; roles: readonly Role[] | 'public' }[];
    /** Forgets a key this process knows, so its revocation counts here at once. */
    forgetApiKey(keyId: string): void;
  }
}

/** Runs before every route; `app.db` must be decorated first. */
export const auth = fp<{ adminApiKey?: string; keyCacheMs: number }>(
  async (app, o) => {
    const bootstrapHash = o.adminApiKey ? hashApiKey(o.adminApiKey) : undefined;
    app.decorateRequest('principal', null as unknown as Principal);
    const known = knownKeys(o.keyCacheMs);
    app.decorate('forgetApiKey', known.forget);

    app.decorate('accessMatrix', []);
    app.addHook('onRoute', (route) => {
      const roles = route.config?.roles;
      if (route.url.startsWith('/api/') && roles === undefined) {
        throw new Error(`Route ${route.method} ${route.url} must declare the roles it admits (config.roles)`);
      }
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') app.accessMatrix.push({ method, url: route.url, roles: roles ?? 'public' });
      }
    });

    // The door: who calls (the key), how often (the rate limit), whether they may (the role).
    app.addHook('onRequest', async (request, reply) => {
      const { roles, rateLimit } = request.routeOptions.config;
      if (roles === undefined || roles === 'public') {
        if (rateLimit !== false) await app.countRequest(request, reply);
        return;
      }
      try {
        request.principal = await authenticate(request, app.db, bootstrapHash, known, () => app.refuseSpentAddress(request, reply));
      } catch (err) {
        // A refused key counts against the address, so guessing keys is limited like any anonymous call.
        if (err instanceof DomainError && err.code !== 'RATE_LIMITED') await app.countRequest(request, reply);
        throw err;
      }
      await app.countRequest(request, reply);
      if (!roles.includes(request.principal.role)) {
        throw new DomainError('FORBIDDEN', `Role ${request.principal.role} may not call ${request.method} ${request.routeOptions.url}`, {
          allowedRoles: roles,
        });
      }
    });
  },
  { name: 'orquesta-auth', dependencies: ['orquesta-errors', 'orquesta-rate-limit'] },
);

/**
 * Keys this process found lately, by hash, for `ttlMs`: most requests are by a few keys, and each
 * lookup was a query. Only valid keys are kept (an unknown one is looked up every time), at most
 * a bounded number; a key revoked through another API process stops working here within `ttlMs`.
 */
function knownKeys(ttlMs: number, most = 10_000) {
  const byHash = new Map<string, { principal: Principal; until: number }>();
  return {
    get(hash: string): Principal | undefined {
      const found = byHash.get(hash);
      if (found && found.until > Date.now()) return found.principal;
      if (found) byHash.delete(hash);
      return undefined;
    },
    set(hash: string, principal: Principal) {
      if (ttlMs <= 0) return;
      if (byHash.size >= most) byHash.delete(byHash.keys().next().value!);
      byHash.set(hash, { principal, until: Date.now() + ttlMs });
    },
    forget(keyId: string) {
      for (const [hash, { principal }] of byHash) if (principal.keyId === keyId) byHash.delete(hash);
    },
  };
}

async function authenticate(
  request: FastifyRequest,
  db: Db,
  bootstrapHash: string | undefined,
  known: ReturnType<typeof knownKeys>,
  /** Runs before the key is looked up in the database, and may refuse the request. */
  beforeLookup: () => Promise<void>,
): Promise<Principal> {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new DomainError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"');
  const hash = hashApiKey(match[1]!);
  if (hash === bootstrapHash) return { keyId: 'bootstrap-admin', role: 'admin', groups: [], customerId: null };
  const cached = known.get(hash);
  if (cached) return cached;
  await beforeLookup();
  const [row] = await db
    .select({ id: apiKeys.id, role: apiKeys.role, groups: apiKeys.groups, customerId: apiKeys.customerId })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) throw new DomainError('INVALID_API_KEY', 'The API key is unknown or revoked');
  const principal: Principal = { keyId: row.id, role: row.role, groups: row.groups, customerId: row.customerId };
  known.set(hash, principal);
  return principal;
}
