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
    /** The roles that may call this route, or 'public' for health, metrics and docs. */
    roles?: readonly Role[] | 'public';
  }
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    /** Every route with the roles it admits: the access matrix, as the app really enforces it. */
    accessMatrix: { method: string; url: string; roles: readonly Role[] | 'public' }[];
  }
}

/** Runs before every route; `app.db` must be decorated first. */
export const auth = fp<{ adminApiKey?: string }>(
  async (app, o) => {
    const bootstrapHash = o.adminApiKey ? hashApiKey(o.adminApiKey) : undefined;
    app.decorateRequest('principal', null as unknown as Principal);

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

    app.addHook('onRequest', async (request) => {
      const roles = request.routeOptions.config.roles;
      if (roles === undefined || roles === 'public') return;
      request.principal = await authenticate(request, app.db, bootstrapHash);
      if (!roles.includes(request.principal.role)) {
        throw new DomainError('FORBIDDEN', `Role ${request.principal.role} may not call ${request.method} ${request.routeOptions.url}`, {
          allowedRoles: roles,
        });
      }
    });
  },
  { name: 'orquesta-auth', dependencies: ['orquesta-errors'] },
);

async function authenticate(request: FastifyRequest, db: Db, bootstrapHash: string | undefined): Promise<Principal> {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new DomainError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"');
  const hash = hashApiKey(match[1]!);
  if (hash === bootstrapHash) return { keyId: 'bootstrap-admin', role: 'admin', groups: [], customerId: null };
  const [row] = await db
    .select({ id: apiKeys.id, role: apiKeys.role, groups: apiKeys.groups, customerId: apiKeys.customerId })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) throw new DomainError('INVALID_API_KEY', 'The API key is unknown or revoked');
  return { keyId: row.id, role: row.role, groups: row.groups, customerId: row.customerId };
}
