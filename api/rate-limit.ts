/**
 * How many requests a caller may make in a window: a caller with a valid API key by its key's id
 * (never the key itself), any other caller by its address. The counts live in this process's
 * memory (@fastify/rate-limit's store): each API process counts on its own, so N processes behind
 * a balancer admit up to N times the limit.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from './errors.js';

export interface RateLimits {
  /** Requests per window for one API key. */
  perKey: number;
  /** Requests per window for one address without a valid key (none, an unknown or revoked one; the docs). */
  perAddress: number;
  windowSeconds: number;
}

/**
 * Above what one API process serves on the 2-core machine (README, bench:load), so only a runaway
 * client meets them; an operator sets them to what its clients really need.
 */
export const defaultRateLimits: RateLimits = { perKey: 120_000, perAddress: 1_200, windowSeconds: 60 };

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts this request against its caller (`request.principal` if known, else its address);
     * 429 once the window's budget is spent.
     */
    countRequest(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /**
     * Before a key is looked up: 429 when the request's address has spent its budget already
     * (counted against it, as any call from there is), else nothing, counting nothing.
     */
    refuseSpentAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

export const rateLimiting = fp<RateLimits>(
  async (app, o) => {
    // Not global: the auth hook decides whom a request counts against, after it knows the key.
    await app.register(fastifyRateLimit, { global: false });
    const timeWindow = o.windowSeconds * 1000;
    const byKey = app.createRateLimit({ max: o.perKey, timeWindow, keyGenerator: (request) => request.principal.keyId });
    // The default key is the address (an IPv6 one by its /64).
    const byAddress = app.createRateLimit({ max: o.perAddress, timeWindow });

    // An address is known to be calling without a valid key only after its key was looked up; once it
    // has spent its budget on such calls, the next ones are refused before the lookup, so a flood of
    // made-up keys reaches the database at most its budget's worth a window. Nothing is counted for
    // the look: a valid key never spends the address's budget. A valid key this process has not
    // seen lately (not in the auth hook's cache) from such an address is refused with them until
    // the window ends: telling it apart would take the lookup.
    app.decorate('refuseSpentAddress', async (request: FastifyRequest, reply: FastifyReply) => {
      const looked = await byAddress(request, { increment: false });
      if (!looked.isAllowed && looked.remaining === 0) await app.countRequest(request, reply);
    });

    app.decorate('countRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const known = request.principal !== null;
      const count = await (known ? byKey : byAddress)(request);
      if (count.isAllowed) return;
      reply.header('x-ratelimit-limit', count.max);
      reply.header('x-ratelimit-remaining', count.remaining);
      reply.header('x-ratelimit-reset', count.ttlInSeconds);
      if (!count.isExceeded) return;
      reply.header('retry-after', count.ttlInSeconds);
      const who = known ? 'this API key' : 'this address without a valid API key';
      throw new DomainError(
        'RATE_LIMITED',
        `Too many requests from ${who}: ${count.max} per ${o.windowSeconds} s; retry in ${count.ttlInSeconds} s`,
        { limit: count.max, windowSeconds: o.windowSeconds, retryAfterSeconds: count.ttlInSeconds },
      );
    });
  },
  { name: 'orquesta-rate-limit', dependencies: ['orquesta-errors'] },
);
