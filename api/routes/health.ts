import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { retryAfterSeconds } from '../errors.js';
import { workerMetrics } from '../metrics.js';

const checkResult = z.enum(['ok', 'failing']);
const readiness = z.object({
  status: z.enum(['ready', 'notReady']),
  checks: z.object({ database: checkResult, temporal: checkResult }),
});

/** How long a part may take to answer; a readiness check must answer while a part hangs. */
const probeMs = 2_000;

async function check(probe: () => Promise<unknown>): Promise<z.infer<typeof checkResult>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'failing'>((resolve) => (timer = setTimeout(() => resolve('failing'), probeMs)));
  try {
    return await Promise.race([probe().then(() => 'ok' as const), late]);
  } catch {
    return 'failing';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Never rate-limited: probes and scrapes come from the platform at their own pace, and a probe
 * refused because someone else spent its address's budget would take a healthy process out of
 * service. These routes belong on the internal network, not behind the public door.
 */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { roles: 'public', rateLimit: false },
      schema: { tags: ['health'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('up') }) } },
    },
    async () => ({ status: 'up' as const }),
  );

  app.get(
    '/ready',
    {
      config: { roles: 'public', rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Temporal and the database are reachable; 503 (with Retry-After) names the part that is not',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const { database, temporal } = app;
      const [db, tc] = await Promise.all([
        check(() => database.ping()),
        check(() => temporal.connection.withDeadline(Date.now() + probeMs, () => temporal.connection.workflowService.getSystemInfo({}))),
      ]);
      const ready = db === 'ok' && tc === 'ok';
      if (!ready) reply.header('retry-after', retryAfterSeconds);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'notReady', checks: { database: db, temporal: tc } });
    },
  );

  app.get(
    '/metrics',
    {
      config: { roles: 'public', rateLimit: false },
      schema: { tags: ['health'], summary: 'Prometheus metrics of the API and the in-process worker' },
    },
    async (_request, reply) => {
      const text = (await app.metrics.metrics()) + (await workerMetrics(app.workerMetricsUrl));
      return reply.type(app.metrics.contentType).send(text);
    },
  );
};
