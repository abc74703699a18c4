/**
 * Prometheus metrics of the API (requests by route and status, process figures). The worker's
 * metrics come from the SDK runtime's own exporter; where the worker runs in this process the
 * /metrics route appends them, so one scrape sees both.
 */
import fp from 'fastify-plugin';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's Prometheus registry, served by /metrics. */
    metrics: Registry;
  }
}

export const httpMetrics = fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'orquesta_api_' });
    const duration = new Histogram({
      name: 'orquesta_http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    app.addHook('onResponse', async (request, reply) => {
      // The route pattern, never the raw URL: ids in paths would explode the label set.
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    app.decorate('metrics', registry);
  },
  { name: 'orquesta-metrics' },
);

export async function workerMetrics(url: string | undefined): Promise<string> {
  if (!url) return '';
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? await response.text() : `# worker metrics unavailable: HTTP ${response.status}\n`;
  } catch (err) {
    return `# worker metrics unavailable: ${(err as Error).message}\n`;
  }
}
