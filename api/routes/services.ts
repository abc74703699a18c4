import { and, asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { serviceInstances } from '../../db/schema.js';
import { commonErrorResponses } from '../errors.js';

const service = z
  .object({ id: z.string(), orderId: z.string(), customerId: z.string(), offeringId: z.string(), componentId: z.string(), state: z.string(), activatedAt: z.date().nullable() })
  .meta({ id: 'Service', description: 'A service instance in the inventory (TMF638-style)' });

export const serviceRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps.database;
  app.get(
    '/services',
    {
      config: { roles: ['agent', 'customer', 'backoffice', 'support', 'admin'] },
      schema: {
        tags: ['services'],
        summary: 'Service inventory',
        querystring: z.object({
          customerId: z.string().max(64).optional(),
          orderId: z.string().max(64).optional(),
          state: z.enum(['designed', 'reserved', 'active', 'terminated']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.array(service), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const customerId = request.principal.role === 'customer' ? request.principal.customerId! : q.customerId;
      const where = and(
        customerId ? eq(serviceInstances.customerId, customerId) : undefined,
        q.orderId ? eq(serviceInstances.orderId, q.orderId) : undefined,
        q.state ? eq(serviceInstances.state, q.state) : undefined,
      );
      const [rows, total] = await Promise.all([
        db
          .select({ id: serviceInstances.id, orderId: serviceInstances.orderId, customerId: serviceInstances.customerId, offeringId: serviceInstances.offeringId, componentId: serviceInstances.componentId, state: serviceInstances.state, activatedAt: serviceInstances.activatedAt })
          .from(serviceInstances)
          .where(where)
          .orderBy(asc(serviceInstances.id))
          .limit(q.limit)
          .offset(q.offset),
        db.$count(serviceInstances, where),
      ]);
      return reply.header('x-total-count', total).send(rows);
    },
  );
};
