/**
 * The Temporal worker: one per task queue, all sharing one workflow bundle (built once) and the
 * SDK runtime, whose Prometheus exporter serves the worker's metrics.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { Logger } from 'pino';
import { connectionSecurity, type TemporalConfig } from '../temporal.config.js';
import { temporalLogger } from './logger.js';

/** `.ts` when run from source, `.js` when run from the compiled build. */
export const workflowsPath = fileURLToPath(new URL(`../workflows/index${extname(import.meta.url)}`, import.meta.url));

/** Installs the SDK runtime once per process; must come before the first NativeConnection. */
export function installRuntime(logger: Logger, metricsAddress?: string): void {
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : undefined,
  });
}

/**
 * Our sources import each other with `.js` suffixes (Node's ESM rule); webpack must map those
 * back to the `.ts` files when it bundles straight from source.
 */
export async function bundleWorkflows(path = workflowsPath): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: path,
    webpackConfigHook: (config) => {
      config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
      return config;
    },
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
}

export interface WorkerSetOptions {
  connection: NativeConnection;
  config: TemporalConfig;
  taskQueues: string[];
  activities: object;
  workflowBundle: WorkflowBundle;
}

/** Creates the workers; `run()` resolves once every one has shut down after `shutdown()`. */
export async function createWorkers(o: WorkerSetOptions) {
  const workers = await Promise.all(
    o.taskQueues.map((taskQueue) =>
      Worker.create({
        connection: o.connection,
        namespace: o.config.namespace,
        taskQueue,
        workflowBundle: o.workflowBundle,
        activities: o.activities,
        maxCachedWorkflows: o.config.worker.maxCachedWorkflows,
        maxConcurrentActivityTaskExecutions: o.config.worker.maxConcurrentActivityTaskExecutions,
        maxConcurrentWorkflowTaskExecutions: o.config.worker.maxConcurrentWorkflowTaskExecutions,
        shutdownGraceTime: o.config.worker.shutdownGraceTimeMs,
      }),
    ),
  );
  return {
    run: () => Promise.all(workers.map((w) => w.run())).then(() => undefined),
    shutdown: () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()),
  };
}

export const connectWorker = (config: TemporalConfig, address: string) =>
  NativeConnection.connect({ address, ...connectionSecurity(config) });
