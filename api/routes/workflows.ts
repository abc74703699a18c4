import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonErrorResponses, errorBody } from '../errors.js';
import { sendPage } from '../paging.js';
import {
  describeWorkflow,
  historyJson,
  listWorkflows,
  timelineEntry,
  toTimeline,
  workflowDescription,
  workflowHistory,
  workflowListQuery,
  workflowSummary,
} from '../workflow-inspection.js';

const inspectors = ['support', 'admin'] as const;
const workflowIdParam = z.object({ workflowId: z.string().min(1).max(1000) });

export interface WorkflowRouteOptions {
  /** How long an activity without a heartbeat timeout may go without a heartbeat before its worker is taken for gone. */
  silentActivityMs?: number;
}

export const workflowRoutes: FastifyPluginAsyncZod<WorkflowRouteOptions> = async (app, options) => {
  const { temporal } = app;

  app.get(
    '/workflows',
    {
      config: { roles: inspectors },
      schema: {
        tags: ['workflows'],
        summary: 'List workflow executions from Temporal visibility',
        querystring: workflowListQuery,
        response: { 200: z.array(workflowSummary), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      return sendPage(reply, await listWorkflows(temporal.client, request.query));
    },
  );

  app.get(
    '/workflows/:workflowId',
    {
      config: { roles: inspectors },
      schema: {
        tags: ['workflows'],
        summary: 'Status, pending work, state query and a diagnosis of the latest run',
        params: workflowIdParam,
        response: { 200: workflowDescription, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => describeWorkflow(temporal, request.params.workflowId, { db: app.db, silentActivityMs: options.silentActivityMs }),
  );

  app.get(
    '/workflows/:workflowId/history',
    {
      config: { roles: inspectors },
      schema: {
        tags: ['workflows'],
        summary: 'The event history: raw (Temporal JSON) or a readable timeline',
        params: workflowIdParam,
        querystring: z.object({ view: z.enum(['raw', 'timeline']).default('timeline') }),
        response: {
          200: z.union([z.array(timelineEntry), z.object({ events: z.array(z.unknown()) })]),
          404: errorBody,
          ...commonErrorResponses,
        },
      },
    },
    async (request) => {
      const history = await workflowHistory(temporal.client, request.params.workflowId);
      return request.query.view === 'raw' ? (historyJson(history) as { events: unknown[] }) : toTimeline(history.events ?? []);
    },
  );
};
