/**
 * A worker in a process of its own, for tests that kill it (SIGKILL) mid-flight: the real
 * activities over the test database and the tests' own, the activation system (and, when given,
 * the notification system) over HTTP, the tests' workflow bundle.
 * Settings come from the environment the test gives it.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { HttpActivationSystem } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { HttpNotificationSystem } from '../../activities/adapters/notification.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase } from '../../db/client.js';
import { createTestActivities } from './activities.js';

const env = (name: string) =>
  process.env[name] ??
  (() => {
    throw new Error(`${name} is required`);
  })();
Runtime.install({ logger: new DefaultLogger('WARN') });
const database = await openDatabase({ url: env('DATABASE_URL'), poolSize: 4, dataDir: '.data/test' });
const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
const worker = await Worker.create({
  connection,
  taskQueue: env('TASK_QUEUE'),
  workflowBundle: { code: readFileSync(env('WORKFLOW_BUNDLE'), 'utf8') },
  activities: {
    ...createActivities({
      db: database.db,
      activation: new HttpActivationSystem(env('ACTIVATION_URL')),
      billing: new PullBillingSystem(),
      ...(process.env.NOTIFICATION_URL ? { notification: new HttpNotificationSystem(process.env.NOTIFICATION_URL) } : {}),
    }),
    // The tests' own activities, for the tests' own workflows (test/support/workflows.ts).
    ...createTestActivities(),
  },
});
console.log('worker running');
await worker.run();
