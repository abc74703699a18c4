/**
 * Builds the Fastify app: zod as the one source of validation, types and OpenAPI; the shared
 * things decorated once by name (`app.db`, `app.temporal`, `app.orders`); errors, metrics and
 * auth as named plugins; one plugin per resource.
 */
import { randomUUID } from 'node:crypto';
import fastifyHelmet from '@fastify/helmet';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { BilledRfbView, HeldComponentView } from '../domain/views.js';
import type { Database, Db } from '../db/client.js';
import type { OrderSettings } from '../workflows/order.contract.js';
import { auth } from './auth.js';
import { errorHandling } from './errors.js';
import { httpMetrics } from './metrics.js';
import { idempotencyKeyClaims } from './idempotency-keys.js';
import { defaultRateLimits, rateLimiting, type RateLimits } from './rate-limit.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { healthRoutes } from './routes/health.js';
import { workflowRoutes } from './routes/workflows.js';
import { billingRoutes } from './routes/billing.js';
import { catalogRoutes } from './routes/catalog.js';
import { cancelProductOrderRoutes } from './routes/cancel-product-orders.js';
import { productOrderRoutes } from './routes/product-orders.js';
import { serviceRoutes } from './routes/services.js';
import { simulatorRoutes } from './routes/simulators.js';
import { hubRoutes } from './routes/hub.js';
import { falloutPolicyRoutes } from './routes/fallout-policies.js';
import { troubleTicketRoutes } from './routes/trouble-tickets.js';
import { escalationRuleRoutes } from './routes/escalation-rules.js';
import { reportRoutes } from './routes/reports.js';
import { slaDefinitionRoutes } from './routes/sla-definitions.js';
import { recallClassRoutes } from './routes/recall-classes.js';
import { recallRoutes } from './routes/recalls.js';
import { taskRoutes } from './routes/tasks.js';

export interface AppDeps {
  database: Database;
  temporal: { client: Client; connection: Connection; namespace: string };
  logger: Logger;
  adminApiKey?: string;
  /** How long a valid key is known without a lookup (API_KEY_CACHE_SECONDS); 0 looks every key up. */
  apiKeyCacheMs?: number;
  /** Requests per window by API key and by address (RATE_LIMIT_*); `defaultRateLimits` when unset. */
  rateLimits?: RateLimits;
  /** Where order workflows run and the business settings they start with. */
  orders: { taskQueue: string; settings: OrderSettings; answerWithinMs: number };
  /** Where case workflows run; entry answers 202 past `answerWithinMs`, as order entry does. */
  cases: { taskQueue: string; answerWithinMs: number };
  /** Where recall workflows run; initiation answers 202 past `answerWithinMs`. */
  recalls: { taskQueue: string; answerWithinMs: number };
  /** Hosts hub callbacks may go to (HUB_CALLBACK_HOSTS); none when unset. */
  hubCallbackHosts?: string[];
  /** The simulators running in this process (npm start, tests): what the external systems hold. */
  simulators?: { activation?: { held(orderId: string): HeldComponentView[] }; billing?: { held(orderId: string): BilledRfbView[] } };
  /** Workflow inspection: how long an activity without a heartbeat timeout may be silent before its worker is taken for gone. */
  inspection?: { silentActivityMs?: number };
  /** The in-process worker's Prometheus endpoint, appended to /metrics. */
  workerMetricsUrl?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    db: Db;
    temporal: AppDeps['temporal'];
    orders: AppDeps['orders'];
    cases: AppDeps['cases'];
    recalls: AppDeps['recalls'];
    workerMetricsUrl: string | undefined;
    simulators: AppDeps['simulators'];
    hubCallbackHosts: string[];
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The Swagger UI page loads its scripts, styles and the document from here and nothing else. Not
 * helmet's default: its `upgrade-insecure-requests` sends the page's own requests to https, so on
 * an API reached over plain http by a host name (a container, a test machine) the page stays
 * blank. Inline styles are allowed, as helmet's default allows them: the UI sets a few, and a
 * style runs no script.
 */
const docsContentSecurityPolicy = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Callers may pass their own id for tracing across systems; anything odd is replaced.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    // The largest real order is a few KB; anything past this is refused (413) before it is read.
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('database', deps.database);
  app.decorate('db', deps.database.db);
  app.decorate('temporal', deps.temporal);
  app.decorate('orders', deps.orders);
  app.decorate('cases', deps.cases);
  app.decorate('recalls', deps.recalls);
  app.decorate('workerMetricsUrl', deps.workerMetricsUrl);
  app.decorate('simulators', deps.simulators);
  app.decorate('hubCallbackHosts', deps.hubCallbackHosts ?? []);
  // Requests in flight at shutdown are answered, then their keep-alive connections must not
  // hold the server open until the keep-alive timeout: answers sent while closing close them.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  await app.register(errorHandling);
  // First of the hooks, so refusals (401, 429) carry the headers too.
  await app.register(fastifyHelmet, {
    // An answer of this API is JSON: rendered in a browser, it may load nothing and be framed nowhere.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
  });
  await app.register(httpMetrics);
  await app.register(rateLimiting, deps.rateLimits ?? defaultRateLimits);
  await app.register(auth, { adminApiKey: deps.adminApiKey, keyCacheMs: deps.apiKeyCacheMs ?? 10_000 });
  // Before the routes and the OpenAPI document: it documents the 422 on every route that takes a key.
  await app.register(idempotencyKeyClaims);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Orquesta API', version: '1', description: 'Order-to-bill and assurance processes on Temporal.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An Orquesta API key' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: docsContentSecurityPolicy });

  await app.register(healthRoutes);
  await app.register(apiKeyRoutes, { prefix: '/api/v1' });
  await app.register(workflowRoutes, { prefix: '/api/v1', silentActivityMs: deps.inspection?.silentActivityMs });
  await app.register(catalogRoutes, { prefix: '/api/v1' });
  await app.register(productOrderRoutes, { prefix: '/api/v1' });
  await app.register(cancelProductOrderRoutes, { prefix: '/api/v1' });
  await app.register(taskRoutes, { prefix: '/api/v1' });
  await app.register(billingRoutes, { prefix: '/api/v1' });
  await app.register(serviceRoutes, { prefix: '/api/v1' });
  await app.register(simulatorRoutes, { prefix: '/api/v1' });
  await app.register(hubRoutes, { prefix: '/api/v1' });
  await app.register(falloutPolicyRoutes, { prefix: '/api/v1' });
  await app.register(troubleTicketRoutes, { prefix: '/api/v1' });
  await app.register(escalationRuleRoutes, { prefix: '/api/v1' });
  await app.register(reportRoutes, { prefix: '/api/v1' });
  await app.register(slaDefinitionRoutes, { prefix: '/api/v1' });
  await app.register(recallClassRoutes, { prefix: '/api/v1' });
  await app.register(recallRoutes, { prefix: '/api/v1' });
  return app;
}
