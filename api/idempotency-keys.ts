/**
 * An Idempotency-Key names one request of its caller's. Sent again with the same request, the
 * route answers as the first time (each route's own doing: update ids, derived order ids); sent
 * with another one (another route, subject or body), it is refused with 422
 * IDEMPOTENCY_KEY_REUSED and nothing is done: a client that reuses a key by mistake would
 * otherwise get a new request taken, or another request's answer, without a word.
 *
 * The key is claimed before the route runs (after validation and the key check, so the digest is
 * of the request as the route takes it): the first request of a key writes its row, whatever
 * becomes of the request then; a later one finds the row and compares. Applies to every route whose
 * headers schema names the header; those document the 422 here, once.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { eq, and } from 'drizzle-orm';
import { z } from 'zod';
import { idempotencyKeys } from '../db/schema.js';
import { fingerprint } from './commands.js';
import { DomainError, errorBody } from './errors.js';

const header = 'idempotency-key';

/** Whether a route's headers schema takes an Idempotency-Key. */
const takesKey = (headers: unknown) => headers instanceof z.ZodObject && header in headers.shape;

export const idempotencyKeyClaims = fp(
  async (app) => {
    app.addHook('onRoute', (route) => {
      if (!takesKey(route.schema?.headers)) return;
      const response = (route.schema!.response ??= {}) as Record<number, unknown>;
      response[422] ??= errorBody;
    });

    app.addHook('preHandler', async (request: FastifyRequest) => {
      const key = request.headers[header];
      if (typeof key !== 'string' || !request.principal || !takesKey(request.routeOptions.schema?.headers)) return;
      const { method, params, query, body } = request;
      const claim = {
        caller: request.principal.keyId,
        key,
        requestDigest: fingerprint({ method, route: request.routeOptions.url, params, query, body }),
        request: `${method} ${request.url.split('?')[0]}`,
      };
      const [claimed] = await app.db.insert(idempotencyKeys).values(claim).onConflictDoNothing().returning({ key: idempotencyKeys.key });
      if (claimed) return;
      const [first] = await app.db
        .select({ requestDigest: idempotencyKeys.requestDigest, request: idempotencyKeys.request })
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.caller, claim.caller), eq(idempotencyKeys.key, key)));
      if (first && first.requestDigest !== claim.requestDigest)
        throw new DomainError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was used for another request (${first.request})`, {
          firstRequest: first.request,
        });
    });
  },
  { name: 'orquesta-idempotency-keys', dependencies: ['orquesta-errors', 'orquesta-auth'] },
);
