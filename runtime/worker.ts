/**
 * The Temporal worker: one per task queue, all sharing one workflow bundle (built once) and the
 * SDK runtime, whose Prometheus exporter serves the worker's metrics.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
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
export async function bundleWorkflows(path = workflowsPath, files?: Set<string>): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: path,
    webpackConfigHook: (config) => {
      config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
      // Every file the bundle was built from, for the cache below to tell when it is stale.
      if (files)
        config.plugins = [
          ...(config.plugins ?? []),
          {
            apply: (compiler) =>
              compiler.hooks.afterCompile.tap('orquesta-bundle-files', (compilation) => {
                for (const file of compilation.fileDependencies) files.add(file);
              }),
          },
        ];
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
        stickyQueueScheduleToStartTimeout: o.config.worker.stickyQueueTimeoutMs,
        // The SDK sends a heartbeat at most every 0.8 x its timeout: 4 s of an external call's 5 s
        // (workflows/order.ts), 1 s from a timeout, so a heartbeat late by a second under load
        // retried a live attempt. Every 2 s leaves 3 s; one small RPC per running call.
        maxHeartbeatThrottleInterval: '2 seconds',
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

const contentHash = (file: string): string | null => {
  try {
    return statSync(file).isFile() ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
  } catch {
    return null;
  }
};

/**
 * The workflow bundle, built once and kept in `cacheDir` with the hash of every file it was built
 * from: a start finds it there unless one of them changed. Bundling (webpack) took 5 to 7 s of each
 * worker start and most of its peak memory; loading takes milliseconds.
 */
export async function cachedWorkflowBundle(cacheDir: string, path = workflowsPath): Promise<WorkflowBundle & { cached: boolean }> {
  const codeFile = join(cacheDir, 'workflow-bundle.js');
  const manifestFile = join(cacheDir, 'workflow-bundle.json');
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { entry: string; files: Record<string, string> };
    if (manifest.entry === path && Object.entries(manifest.files).every(([file, hash]) => contentHash(file) === hash))
      return { code: readFileSync(codeFile, 'utf8'), cached: true };
  } catch {
    // No cache yet, or an unreadable one: build.
  }
  const files = new Set<string>();
  const bundle = await bundleWorkflows(path, files);
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed: a worker starting beside this one never reads half a bundle.
    writeFileSync(`${codeFile}.${process.pid}`, bundle.code);
    renameSync(`${codeFile}.${process.pid}`, codeFile);
    const hashes = Object.fromEntries([...files].flatMap((file) => (contentHash(file) ? [[file, contentHash(file)!]] : [])));
    writeFileSync(`${manifestFile}.${process.pid}`, JSON.stringify({ entry: path, files: hashes }));
    renameSync(`${manifestFile}.${process.pid}`, manifestFile);
  } catch {
    // A folder the worker may not write (a read-only container): it bundles at every start, as before.
  }
  return { ...bundle, cached: false };
}
