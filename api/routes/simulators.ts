/**
 * What the simulated external systems hold, while they run in this process (npm start, tests):
 * support sees that a cancelled order left no component active. Not there with real systems.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { orderId } from '../../domain/values.js';
import { billedRfbView, heldComponentView } from '../../domain/views.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

export const simulatorRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/simulators/activation',
    {
      config: { roles: ['support', 'admin'] },
      schema: {
        tags: ['simulators'],
        summary: 'The components the activation simulator holds for an order, active or not',
        querystring: z.object({ orderId }),
        response: { 200: z.array(heldComponentView), 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const simulator = app.simulators?.activation;
      if (!simulator)
        throw new DomainError(
          'SIMULATOR_NOT_RUNNING',
          'No activation simulator runs in this process (ACTIVATION_ADAPTER=http, or the worker runs apart)',
        );
      return simulator.held(request.query.orderId);
    },
  );

  app.get(
    '/simulators/billing',
    {
      config: { roles: ['support', 'admin'] },
      schema: {
        tags: ['simulators'],
        summary: 'The RFBs the billing simulator received for an order, with their state and billing cycle',
        querystring: z.object({ orderId }),
        response: { 200: z.array(billedRfbView), 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const simulator = app.simulators?.billing;
      if (!simulator)
        throw new DomainError(
          'SIMULATOR_NOT_RUNNING',
          'No billing simulator runs in this process (BILLING_ADAPTER=http or pull, or the worker runs apart)',
        );
      return simulator.held(request.query.orderId);
    },
  );
};
