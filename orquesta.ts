/**
 * The one entry point. `all` (what `npm start` runs) brings up the whole platform on a laptop:
 * Temporal dev server, database and migrations, worker and API. `api`, `worker` and `migrate` run
 * the parts on their own, as containers do in production.
 */
// The API's modules (Fastify, its plugins, the routes and their schemas) and the Temporal server's
// are imported only by the commands that run them: loading them took a quarter of a second of
// every worker start, which a killed worker's orders wait out (issue 12 asks under 2 s).
import type { Logger } from 'pino';
import { createActivities } from './activities/index.js';
import { ActivationSimulator } from './activities/adapters/activation.js';
import { createAdapters } from './activities/adapters/index.js';
import { startHubDispatcher } from './runtime/hub.js';
import { loadAppConfig, type AppConfig } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { seedCatalogue } from './db/seed/catalog.js';
import { createLogger } from './runtime/logger.js';
import { cachedWorkflowBundle, connectWorker, createWorkers, installRuntime } from './runtime/worker.js';
import { join } from 'node:path';
import { connectionSecurity, loadTemporalConfig, type TemporalConfig } from './temporal.config.js';

type Stop = () => Promise<unknown>;
type Adapters = ReturnType<typeof createAdapters>;

/** Stops run in reverse start order: API first (drains requests), then worker, database, server. */
function stopOnSignal(logger: Logger, stops: Stop[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const s of [...stops].reverse()) {
      try {
        await s();
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  // `on`, not `once`: a terminal's Ctrl-C can arrive twice (from the shell and from npm), and a
  // second signal must not kill us halfway through draining.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // npm passes SIGTERM to its shell only; if our parent goes away we are orphaned, so we stop too.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stop('parent exited'), 1_000).unref();
}

async function startTemporal(
  t: TemporalConfig,
  app: AppConfig,
  logger: Logger,
  stops: Stop[],
): Promise<{ address: string; uiUrl?: string }> {
  if (t.address) return { address: t.address };
  const { ensureTemporalBinaries, missingBinariesMessage, temporalCli } = await import('./runtime/temporal-binaries.js');
  const { assertPortFree, startDevServer } = await import('./runtime/temporal-server.js');
  const ip = '127.0.0.1';
  await assertPortFree(
    ip,
    t.devServer.port,
    'Is another Temporal server running? Set TEMPORAL_ADDRESS to use it, or TEMPORAL_DEV_PORT to pick another port.',
  );
  const { cli } = ensureTemporalBinaries((line) => logger.info(line));
  const uiUrl = `http://${ip}:${t.devServer.uiPort}`;
  if (cli) {
    const server = await startDevServer({
      executable: cli,
      ip,
      port: t.devServer.port,
      uiPort: t.devServer.uiPort,
      dbFile: `${app.dataDir}/temporal.db`,
      logFile: `${app.dataDir}/temporal.log`,
      namespace: t.namespace,
    });
    stops.push(() => server.stop());
    return { address: server.address, uiUrl };
  }
  // Last resort on an online laptop: the SDK downloads the CLI itself.
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip,
        port: t.devServer.port,
        ui: true,
        uiPort: t.devServer.uiPort,
        dbFilename: `${app.dataDir}/temporal.db`,
        namespace: t.namespace,
      },
    });
    stops.push(() => env.teardown());
    return { address: env.address, uiUrl };
  } catch (err) {
    throw new Error(`${missingBinariesMessage(temporalCli)} (the SDK's download failed too: ${(err as Error).message})`);
  }
}

/** The database, and its migration and catalogue seed under way: what needs neither may start meanwhile. */
async function openMigratingDatabase(app: AppConfig, stops: Stop[]): Promise<{ database: Database; migrated: Promise<void> }> {
  const database = await openDatabase(app.database);
  stops.push(() => database.close());
  const migrated = database.migrate().then(() => seedCatalogue(database.db));
  // Awaited by whoever needs the schema; a failure is reported there, not as an unhandled rejection.
  migrated.catch(() => {});
  return { database, migrated };
}

async function startWorker(
  t: TemporalConfig,
  address: string,
  { database, migrated }: { database: Database; migrated: Promise<void> },
  adapters: Adapters,
  stops: Stop[],
  logger: Logger,
  dataDir: string,
): Promise<void> {
  const connection = await connectWorker(t, address);
  const bundle = await cachedWorkflowBundle(join(dataDir, 'cache'));
  logger.info({ cached: bundle.cached }, bundle.cached ? 'workflow bundle loaded from the cache' : 'workflow bundle built');
  // Creating the SDK workers (a workflow thread each, loading the bundle) needs no table, so it runs
  // while the database migrates; they poll only once the schema is there.
  const workers = await createWorkers({
    connection,
    config: t,
    taskQueues: [t.taskQueues.orders, t.taskQueues.cases, t.taskQueues.recalls],
    activities: createActivities({ db: database.db, ...adapters }),
    workflowBundle: { code: bundle.code },
  });
  await migrated;
  const running = workers.run();
  // Since the process started: what a killed worker costs before its replacement polls (issue 12 asks under 2 s).
  logger.info({ sinceProcessStartMs: Math.round(performance.now()) }, 'worker polling');
  // The order events hub's deliveries run beside the workflows; a second worker process is
  // harmless (at least once), and stopping waits for the delivery in flight.
  const hub = startHubDispatcher({ db: database.db, logger });
  stops.push(async () => {
    await hub.stop();
    workers.shutdown();
    await running;
    await connection.close();
  });
}

async function startApi(
  t: TemporalConfig,
  app: AppConfig,
  address: string,
  database: Database,
  logger: Logger,
  stops: Stop[],
  inProcess?: { workerMetricsUrl: string; adapters: Adapters },
) {
  const { Client, Connection } = await import('@temporalio/client');
  const { apiConnectionOptions } = await import('./api/temporal-connection.js');
  const { registerSearchAttributes } = await import('./runtime/temporal-server.js');
  const { buildApp } = await import('./api/app.js');
  const connection = await Connection.connect({ address, ...connectionSecurity(t), ...apiConnectionOptions });
  const client = new Client({ connection, namespace: t.namespace });
  // A cluster of the operator's own may not let us (README: "Search attributes"); the dev server has them.
  if (t.address)
    await registerSearchAttributes(connection, t.namespace).catch((err: Error) =>
      logger.warn({ err: err.message }, 'could not register the case and recall search attributes; create them on the cluster (README)'),
    );
  const server = await buildApp({
    database,
    temporal: { client, connection, namespace: t.namespace },
    logger,
    adminApiKey: app.adminApiKey,
    apiKeyCacheMs: app.apiKeyCacheMs,
    rateLimits: app.rateLimits,
    // Only where the worker runs in this process are its metrics and simulators this process's.
    workerMetricsUrl: inProcess?.workerMetricsUrl,
    simulators: {
      activation: inProcess?.adapters.activation instanceof ActivationSimulator ? inProcess.adapters.activation : undefined,
      billing: inProcess?.adapters.billingSimulator,
    },
    orders: { taskQueue: t.taskQueues.orders, settings: app.orders, answerWithinMs: app.orderEntryAnswerWithinMs },
    cases: { taskQueue: t.taskQueues.cases, answerWithinMs: app.orderEntryAnswerWithinMs },
    recalls: { taskQueue: t.taskQueues.recalls, answerWithinMs: app.orderEntryAnswerWithinMs },
    hubCallbackHosts: app.hubCallbackHosts,
  });
  await server.listen({ port: app.port, host: app.host });
  stops.push(async () => {
    await server.close();
    await connection.close();
  });
  const { port } = server.server.address() as { port: number };
  return `http://${app.host === '0.0.0.0' ? '127.0.0.1' : app.host}:${port}`;
}

async function main(command: string): Promise<void> {
  let app: AppConfig, t: TemporalConfig;
  try {
    app = loadAppConfig();
    t = loadTemporalConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const logger = createLogger(app.logLevel);
  const stops: Stop[] = [];
  stopOnSignal(logger, stops);
  try {
    if (command === 'migrate') {
      const { database, migrated } = await openMigratingDatabase(app, stops);
      await migrated;
      await database.close();
      logger.info('migrations applied');
      return;
    }
    if (command === 'worker' || command === 'all') installRuntime(logger, t.worker.metricsAddress);
    const { address, uiUrl } =
      command === 'all' ? await startTemporal(t, app, logger, stops) : { address: t.address ?? '127.0.0.1:7233', uiUrl: undefined };
    const opened = await openMigratingDatabase(app, stops);
    const { database } = opened;
    const adapters = createAdapters(app.adapters);
    if (command === 'worker' || command === 'all') await startWorker(t, address, opened, adapters, stops, logger, app.dataDir);
    await opened.migrated;
    if (command === 'api' || command === 'all') {
      const inProcess = command === 'all' ? { workerMetricsUrl: `http://${t.worker.metricsAddress}/metrics`, adapters } : undefined;
      const apiUrl = await startApi(t, app, address, database, logger, stops, inProcess);
      if (command === 'all') {
        const { seedDevelopmentKeys } = await import('./runtime/dev-keys.js');
        const keys = await seedDevelopmentKeys(database.db);
        // The billing simulator acknowledges through the API, with a billing key, as the real system would.
        adapters.billingSimulator?.connect(apiUrl, keys.billing);
        printBanner({ apiUrl, uiUrl, address, database: database.kind, namespace: t.namespace, keys });
      }
    }
  } catch (err) {
    logger.fatal({ err }, (err as Error).message);
    for (const s of [...stops].reverse()) await s().catch(() => {});
    process.exit(1);
  }
}

function printBanner(b: {
  apiUrl: string;
  uiUrl?: string;
  address: string;
  database: string;
  namespace: string;
  keys: Record<string, string>;
}) {
  const lines = [
    '',
    'Orquesta is running',
    `  API            ${b.apiUrl}/api/v1`,
    `  OpenAPI docs   ${b.apiUrl}/docs   (JSON: ${b.apiUrl}/docs/json)`,
    `  Health         ${b.apiUrl}/ready   metrics: ${b.apiUrl}/metrics`,
    `  Temporal       ${b.address} (namespace ${b.namespace})${b.uiUrl ? `   web UI: ${b.uiUrl}` : ''}`,
    `  Database       ${b.database}`,
    '',
    'Development API keys (new at every start; send as "Authorization: Bearer <key>"):',
    ...Object.entries(b.keys).map(([role, key]) => `  ${role.padEnd(12)} ${key}`),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

const command = process.argv[2] ?? 'all';
if (!['all', 'api', 'worker', 'migrate'].includes(command)) {
  console.error(`usage: orquesta [all|api|worker|migrate]  (got '${command}')`);
  process.exit(2);
}
await main(command);
