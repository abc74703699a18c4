/**
 * A real platform for one test file: the app over a real PostgreSQL database and a real Temporal
 * dev server, with a worker on a task queue of the file's own (so parallel files never pick up
 * each other's tasks). Keys are made through the API, as an operator would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../../api/app.js';
import { apiConnectionOptions } from '../../api/temporal-connection.js';
import type { RateLimits } from '../../api/rate-limit.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database, type Db } from '../../db/client.js';
import type { Role } from '../../domain/vocabulary.js';
import { createTestActivities } from './activities.js';
import { ActivationSimulator, type ActivationSystem } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import type { NotificationSystem } from '../../activities/adapters/notification.js';
import type { Regulator } from '../../activities/adapters/regulator.js';
import { defaultOrderSettings, type OrderSettings } from '../../workflows/order.contract.js';

export { defaultOrderSettings };

export interface TestPlatform {
  app: FastifyInstance;
  client: Client;
  connection: Connection;
  database: Database;
  taskQueue: string;
  adminKey: string;
  activation: ActivationSystem;
  keyFor(role: Role, extra?: { groups?: string[]; customerId?: string }): Promise<string>;
  /** Enters a datahost order through the API as `who` would (a new customer per tax id); answers its id. */
  enterOrder(
    who: Record<string, string>,
    o: { taxId: string; components?: string[]; configuration?: Record<string, string> },
  ): Promise<string>;
  close(): Promise<void>;
}

// Worker chatter only when asked for: TEST_LOG_LEVEL=INFO npm test.
Runtime.install({ logger: new DefaultLogger((process.env.TEST_LOG_LEVEL?.toUpperCase() as 'INFO' | undefined) ?? 'WARN') });

export const workflowBundle = () => ({ code: readFileSync(inject('workflowBundlePath'), 'utf8') });

/** A worker of a test file's own: its task queue, the tests' workflow bundle; `stop` shuts it down and waits for it. */
export async function startFileWorker(connection: NativeConnection, taskQueue: string, activities: object) {
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: workflowBundle(), activities });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

export async function startTestPlatform(
  o: {
    worker?: boolean;
    activation?: ActivationSystem;
    settings?: OrderSettings;
    /** Hosts the order events hub may call back. */
    hubCallbackHosts?: string[];
    /** How long order entry waits for the order to be written before answering 202. */
    answerWithinMs?: number;
    /** What recalls reach customers and the regulator through (simulators of the test's own, to look into). */
    notification?: NotificationSystem;
    regulator?: Regulator;
    /** How long the API knows a valid key without a lookup (the app's default when unset). */
    apiKeyCacheMs?: number;
    /** Requests per window by key and by address (the app's defaults when unset). */
    rateLimits?: RateLimits;
    /** The database as the worker's activities see it: e.g. slowed, to show reads never go stale. */
    activityDb?: (db: Db) => Db;
    /** How the API (not the worker) reaches the database and Temporal, e.g. through a gate a test closes. */
    apiVia?: { databaseUrl?: (url: string) => string; temporalAddress?: (address: string) => string };
    /** How long an activity may go without a heartbeat before inspection takes its worker for gone (the app's default when unset). */
    silentActivityMs?: number;
  } = {},
): Promise<TestPlatform> {
  const database = await openDatabase({ url: inject('databaseUrl'), poolSize: 4, dataDir: '.data/test' });
  const apiDatabase = o.apiVia?.databaseUrl
    ? await openDatabase({ url: o.apiVia.databaseUrl(inject('databaseUrl')), poolSize: 4, dataDir: '.data/test' })
    : database;
  const address = inject('devServerAddress');
  const connection = await Connection.connect({ address: o.apiVia?.temporalAddress?.(address) ?? address, ...apiConnectionOptions });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `test-${randomUUID()}`;
  const adminKey = `test-admin-${randomBytes(24).toString('hex')}`;
  const activation = o.activation ?? new ActivationSimulator();
  const app = await buildApp({
    database: apiDatabase,
    temporal: { client, connection, namespace: 'default' },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    adminApiKey: adminKey,
    apiKeyCacheMs: o.apiKeyCacheMs,
    inspection: { silentActivityMs: o.silentActivityMs },
    rateLimits: o.rateLimits,
    simulators: { activation: activation instanceof ActivationSimulator ? activation : undefined },
    hubCallbackHosts: o.hubCallbackHosts,
    orders: { taskQueue, settings: o.settings ?? defaultOrderSettings, answerWithinMs: o.answerWithinMs ?? 30_000 },
    cases: { taskQueue, answerWithinMs: o.answerWithinMs ?? 30_000 },
    recalls: { taskQueue, answerWithinMs: o.answerWithinMs ?? 30_000 },
  });
  await app.ready();

  let stopWorker = async () => {};
  if (o.worker !== false) {
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      // Billing is pulled: tests acknowledge RFBs through the API, as the billing system does.
      activities: {
        ...createActivities({
          db: o.activityDb?.(database.db) ?? database.db,
          activation,
          billing: new PullBillingSystem(),
          notification: o.notification,
          regulator: o.regulator,
        }),
        ...createTestActivities(),
      },
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    };
  }

  return {
    app,
    client,
    connection,
    database,
    taskQueue,
    adminKey,
    activation,
    async keyFor(role, extra = {}) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/apiKeys',
        headers: { authorization: `Bearer ${adminKey}` },
        payload: { role, ...extra, ...(role === 'customer' && !extra.customerId ? { customerId: 'CUST-TEST-1' } : {}) },
      });
      if (response.statusCode !== 201) throw new Error(`could not create a ${role} key: ${response.body}`);
      return response.json().key as string;
    },
    async enterOrder(who, o) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/productOrders',
        headers: who,
        payload: {
          customer: { name: `Customer ${o.taxId}`, taxId: o.taxId },
          contact: { name: 'Contact Person', email: 'contact@customer.example' },
          items: [{ offeringId: 'datahost', components: o.components ?? [], configuration: o.configuration ?? {} }],
        },
      });
      if (response.statusCode !== 201) throw new Error(`order entry answered ${response.statusCode}: ${response.body}`);
      return response.json().id as string;
    },
    async close() {
      await app.close();
      await stopWorker();
      await connection.close();
      if (apiDatabase !== database) await apiDatabase.close();
      await database.close();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Polls until `probe` returns a value that `done` accepts; for what settles asynchronously (visibility). */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}
