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
import type { Milestones } from '../../domain/vocabulary.js';
import { createTestActivities } from './activities.js';

const env = (name: string) =>
  process.env[name] ??
  (() => {
    throw new Error(`${name} is required`);
  })();
Runtime.install({ logger: new DefaultLogger('WARN') });
const database = await openDatabase({ url: env('DATABASE_URL'), poolSize: 4, dataDir: '.data/test' });
const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
const activities = createActivities({
  db: database.db,
  activation: new HttpActivationSystem(env('ACTIVATION_URL')),
  billing: new PullBillingSystem(),
  ...(process.env.NOTIFICATION_URL ? { notification: new HttpNotificationSystem(process.env.NOTIFICATION_URL) } : {}),
});
// DIE_AFTER_STEP_BEGINS=<milestone>: the worker kills itself once a step's start has written that
// milestone in progress, before its workflow task is completed: the row is then ahead of the
// workflow's history until another worker runs the task again.
const dieAfter = process.env.DIE_AFTER_STEP_BEGINS as keyof Milestones | undefined;
if (dieAfter) {
  const beginStep = activities.beginStep;
  activities.beginStep = async (b) => {
    const policies = await beginStep(b);
    if (b.milestones?.[dieAfter]?.status === 'inProgress') process.kill(process.pid, 'SIGKILL');
    return policies;
  };
}
const worker = await Worker.create({
  connection,
  taskQueue: env('TASK_QUEUE'),
  workflowBundle: { code: readFileSync(env('WORKFLOW_BUNDLE'), 'utf8') },
  activities: {
    ...activities,
    // The tests' own activities, for the tests' own workflows (test/support/workflows.ts).
    ...createTestActivities(),
  },
});
console.log('worker running');
await worker.run();
