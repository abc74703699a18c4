/**
 * The order events hub (TMF pattern): other systems register a listener and receive every order
 * state change and milestone at `{callback}/listener/{eventType}`. Callbacks go only to hosts the
 * operator named (HUB_CALLBACK_HOSTS), so the hub is no open relay into the internal network.
 */
import { eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { orderEventTypes, type OrderEventType } from '../../domain/vocabulary.js';
import { hubListeners } from '../../db/schema.js';
import { committedHorizon } from '../../db/outbox.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const hubQuery = z
  .string()
  .regex(
    new RegExp(`^eventType=(${orderEventTypes.join('|')})(,(${orderEventTypes.join('|')}))*$`),
    `eventType=${orderEventTypes.join(',')} (one or more)`,
  )
  .describe('Which events, e.g. eventType=productOrderStateChangeEvent');
const listenerView = z.object({ id: z.uuid(), callback: z.url(), query: z.string().nullable() }).meta({ id: 'HubListener' });

export const hubRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/hub',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['hub'],
        summary: 'Register a listener for order events; it receives what happens from now on, in order, at least once',
        body: z.object({ callback: z.url({ protocol: /^https?$/ }).max(2000), query: hubQuery.optional() }).strict(),
        response: { 201: listenerView, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { callback, query } = request.body;
      const host = new URL(callback).hostname;
      if (!app.hubCallbackHosts.includes(host)) {
        throw new DomainError(
          'CALLBACK_NOT_ALLOWED',
          app.hubCallbackHosts.length === 0
            ? 'No callback host is allowed: the operator names them in HUB_CALLBACK_HOSTS'
            : `Callbacks go to ${app.hubCallbackHosts.join(', ')} only, not ${host}`,
        );
      }
      const eventTypes = query ? (query.slice('eventType='.length).split(',') as OrderEventType[]) : null;
      // From now on: events of transactions that have not all ended yet, and later ones.
      const [horizon] = await app.db.select({ tx: sql<string>`${committedHorizon}` }).from(sql`(select 1) as now`);
      const [row] = await app.db
        .insert(hubListeners)
        .values({
          callback: callback.replace(/\/+$/, ''),
          eventTypes,
          deliveredTx: Number(horizon!.tx) - 1,
          deliveredUpTo: Number.MAX_SAFE_INTEGER,
        })
        .returning({ id: hubListeners.id, callback: hubListeners.callback });
      return reply
        .code(201)
        .header('location', `/api/v1/hub/${row!.id}`)
        .send({ ...row!, query: query ?? null });
    },
  );

  app.delete(
    '/hub/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['hub'],
        summary: 'Remove a listener',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null(), 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const removed = await app.db.delete(hubListeners).where(eq(hubListeners.id, request.params.id)).returning({ id: hubListeners.id });
      if (removed.length === 0) throw new DomainError('LISTENER_NOT_FOUND', `No listener ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );
};
