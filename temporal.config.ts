import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import { booleanFlag, optionalString, readEnv } from './runtime/env.js';

/** Every task queue the platform polls; one per domain so each can be scaled on its own. */
export const taskQueues = {
  orders: 'orders',
  cases: 'cases',
  recalls: 'recalls',
} as const;

const temporalEnv = z.object({
  /** Unset: `npm start` runs a dev server itself and connects to it. */
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('default'),
  TEMPORAL_TASK_QUEUE_PREFIX: z.string().default(''),
  /** Hosted clusters (Temporal Cloud): either mTLS with a client certificate, or an API key. */
  TEMPORAL_TLS: booleanFlag,
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  /** The dev server `npm start` runs when TEMPORAL_ADDRESS is unset. */
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /** Worker tuning: explicit so memory use is bounded and predictable on a 2-core machine. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).default(40),
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * How long a workflow task waits on this worker's sticky queue before any worker may take it:
   * what every workflow of a killed worker waits before another takes it over (the SDK's 10 s).
   * Measured with bench:peers on 2 cores under load: 3 s cost a quarter of the throughput (a busy
   * worker missed its own tasks, which then replayed from history); 5 s did as well as 10 s.
   */
  WORKER_STICKY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(5_000),
  /** Where the SDK runtime's own Prometheus exporter listens (the worker's metrics). */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^[^:]+:\d+$/)
    .default('127.0.0.1:9464'),
});

export type TemporalConfig = ReturnType<typeof loadTemporalConfig>;

export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = readEnv(temporalEnv, env);
  if ((e.TEMPORAL_TLS_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new Error('Invalid configuration:\n  TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together');
  }
  const prefix = e.TEMPORAL_TASK_QUEUE_PREFIX;
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueues: {
      orders: prefix + taskQueues.orders,
      cases: prefix + taskQueues.cases,
      recalls: prefix + taskQueues.recalls,
    },
    tls:
      e.TEMPORAL_TLS || e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_API_KEY
        ? {
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
            clientCert: e.TEMPORAL_TLS_CERT_PATH ? { certPath: e.TEMPORAL_TLS_CERT_PATH, keyPath: e.TEMPORAL_TLS_KEY_PATH! } : undefined,
          }
        : undefined,
    apiKey: e.TEMPORAL_API_KEY,
    devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_UI_PORT },
    worker: {
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      shutdownGraceTimeMs: e.WORKER_SHUTDOWN_GRACE_MS,
      stickyQueueTimeoutMs: e.WORKER_STICKY_TIMEOUT_MS,
      metricsAddress: e.WORKER_METRICS_ADDRESS,
    },
  };
}

/** TLS and API-key settings in the shape both the client and the worker connection take. */
export function connectionSecurity(config: TemporalConfig): { tls?: TLSConfig; apiKey?: string } {
  if (!config.tls) return { apiKey: config.apiKey };
  const { clientCert, serverName } = config.tls;
  return {
    apiKey: config.apiKey,
    tls: {
      serverNameOverride: serverName,
      clientCertPair: clientCert ? { crt: readFileSync(clientCert.certPath), key: readFileSync(clientCert.keyPath) } : undefined,
    },
  };
}
