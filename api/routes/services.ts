import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { serviceStates } from '../../domain/vocabulary.js';
import { customerId, orderId } from '../../domain/values.js';
import { serviceView } from '../../domain/views.js';
import { listServices } from '../../db/views.js';
import { commonErrorResponses } from '../errors.js';
import { listQuery, sendPage } from '../paging.js';

export const serviceRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/services',
    {
      config: { roles: ['agent', 'customer', 'backoffice', 'support', 'admin'] },
      schema: {
        tags: ['services'],
        summary: 'Service inventory',
        querystring: listQuery({ customerId: customerId.optional(), orderId: orderId.optional(), state: z.enum(serviceStates).optional() }),
        response: { 200: z.array(serviceView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const customer = request.principal.role === 'customer' ? request.principal.customerId! : q.customerId;
      return sendPage(reply, await listServices(app.db, { customerId: customer, orderId: q.orderId, state: q.state }, q));
    },
  );
};
