/**
 * The case workflow on the time-skipping server with its real activities and the test database:
 * figure 19's escalation ladders run in seconds, as written (days), not shortened.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { caseEvents, cases, notifications, tasks } from '../../db/schema.js';
import { startCase, ticketRequest } from '../support/cases.js';
import { workflowBundle } from '../support/platform.js';
import { timeSkippingEnvironment } from '../support/time-skipping.js';

let env: TestWorkflowEnvironment;
let database: Database;
const taskQueue = `cases-${randomUUID()}`;
let worker: Worker;
let running: Promise<void>;
const days = (d: number) => d * 24 * 3600_000;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  database = await openDatabase({ url: inject('databaseUrl'), poolSize: 4, dataDir: '.data/test' });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createActivities({ db: database.db, activation: new ActivationSimulator(), billing: new PullBillingSystem() }),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await database?.close();
  await env?.teardown();
});

const start = (kind: 'billing' | 'defect' | 'sales') => startCase(env.client, database.db, taskQueue, ticketRequest(kind));
type Case = Awaited<ReturnType<typeof start>>;
const caseRow = async (id: string) => (await database.db.select().from(cases).where(eq(cases.id, id)))[0]!;
const taskOf = async (c: Case) =>
  (await database.db.select().from(tasks).where(eq(tasks.subjectId, c.caseId)).orderBy(asc(tasks.createdAt))).at(-1);
const told = (c: Case) =>
  database.db
    .select({ recipient: notifications.recipient })
    .from(notifications)
    .where(and(eq(notifications.subjectId, c.caseId), eq(notifications.kind, 'escalation')));

/** When the case's workflow started, on the server's clock (which the tests move ahead of the wall clock). */
const startedAt = async (c: Case) => (await c.handle.describe()).startTime.getTime();

/** Lets `ms` pass on the server's clock and waits for the case to reach `level`. */
async function after(c: Case, ms: number, level: number) {
  await env.sleep(ms);
  return c.until((s) => s.escalationLevel === level);
}

describe('case escalation ladder (figure 19)', () => {
  it('takes an untouched billing case to coordination at day 7, management at 14, the superintendent at 21', async () => {
    const c = await start('billing');
    expect(await taskOf(c)).toMatchObject({ kind: 'caseWork', group: 'billing-assistants', status: 'opened' });
    await env.sleep(days(7) - 60_000);
    expect((await c.state()).escalationLevel).toBe(0); // not a minute early
    for (const [level, group, day] of [
      [1, 'billing-coordination', 7],
      [2, 'billing-management', 14],
      [3, 'superintendent', 21],
    ] as const) {
      const s = await after(c, level === 1 ? 120_000 : days(7), level);
      expect(s.ownerGroup).toBe(group);
      expect(await taskOf(c)).toMatchObject({ group, status: 'opened', assignee: null });
      const row = await caseRow(c.caseId);
      expect(row).toMatchObject({ escalationLevel: level, ownerGroup: group });
      const escalatedAt = Date.parse(row.escalations.at(-1)!.at) - (await startedAt(c));
      expect(Math.round(escalatedAt / days(1))).toBe(day);
    }
    expect((await told(c)).map((n) => n.recipient)).toEqual([
      'group:billing-coordination',
      'group:billing-management',
      'group:superintendent',
    ]);
    // One task, moved up the ladder: its audit trail shows each forward by the system.
    expect((await database.db.select().from(tasks).where(eq(tasks.subjectId, c.caseId))).length).toBe(1);
    expect((await c.state()).nextEscalation).toBeNull();
  });

  it('escalates a defect sent to service management at days 4, 6 and 8', async () => {
    const c = await start('defect');
    expect(await taskOf(c)).toBeUndefined(); // with the first level, for triage
    await c.command({ command: 'triage', actor: 'agent-1', answers: [{ questionId: 'since', answer: 'this morning' }], solved: false });
    expect(await taskOf(c)).toMatchObject({ group: 'service-management' });
    for (const [level, group, ms] of [
      [1, 'technical-management', days(4)],
      [2, 'area-management', days(2)],
      [3, 'superintendent', days(2)],
    ] as const) {
      const s = await after(c, ms + 60_000, level);
      expect(s.ownerGroup).toBe(group);
    }
    expect((await told(c)).map((n) => n.recipient)).toEqual([
      'group:technical-management',
      'group:area-management',
      'group:superintendent',
    ]);
  });

  it('moves every deadline by the week a case spends pending on the customer', async () => {
    const c = await start('billing');
    await c.command({ command: 'open', actor: 'agent-1' });
    await env.sleep(days(3));
    await c.command({ command: 'pending', actor: 'agent-1', reason: 'waiting for the invoice copy' });
    expect((await c.state()).nextEscalation).toBeNull();
    await env.sleep(days(7));
    expect((await c.state()).escalationLevel).toBe(0);
    await c.command({ command: 'resume', actor: 'agent-1' });
    await env.sleep(days(4) - 60_000); // 7 days of work less a minute
    expect((await c.state()).escalationLevel).toBe(0);
    const s = await after(c, 120_000, 1);
    const row = await caseRow(c.caseId);
    expect(Math.round((Date.parse(row.escalations[0]!.at) - (await startedAt(c))) / days(1))).toBe(14);
    expect(s.ownerGroup).toBe('billing-coordination');
  });

  it('stops the ladder on resolution and resumes it where it stood on reopening; closing ends the case', async () => {
    const c = await start('billing');
    await c.command({ command: 'open', actor: 'agent-1' });
    await env.sleep(days(5));
    await c.command({ command: 'resolve', actor: 'ana', resolution: 'credit note issued' });
    expect(await taskOf(c)).toMatchObject({ status: 'completed' });
    await env.sleep(days(10));
    expect((await c.state()).escalationLevel).toBe(0);
    await c.command({ command: 'reopen', actor: 'customer', comment: 'the credit note is wrong' });
    const reopened = await c.state();
    expect(reopened.ladderElapsedMs).toBeGreaterThanOrEqual(days(5));
    expect(reopened.ladderElapsedMs).toBeLessThan(days(5) + 60_000);
    expect(await taskOf(c)).toMatchObject({ status: 'opened', group: 'billing-assistants' });
    await after(c, days(2) + 60_000, 1); // the 2 days left of the first 7
    await c.command({ command: 'resolve', actor: 'ana', resolution: 'corrected credit note' });
    await c.command({ command: 'close', actor: 'customer' });
    expect(await c.handle.result()).toBe('closed');
    const row = await caseRow(c.caseId);
    expect(row).toMatchObject({ status: 'closed', resolution: 'corrected credit note', escalationLevel: 1 });
    const trail = await database.db.select().from(caseEvents).where(eq(caseEvents.caseId, c.caseId)).orderBy(asc(caseEvents.at));
    expect(trail.filter((e) => e.kind === 'status').map((e) => e.details.to)).toEqual([
      'gatheringInfo',
      'open',
      'resolved',
      'open',
      'resolved',
      'closed',
    ]);
  });

  it('refuses a command the status does not allow, and triage for anything but a defect', async () => {
    const c = await start('billing');
    await expect(c.command({ command: 'close', actor: 'customer' })).rejects.toMatchObject({
      cause: { type: 'CASE_STATUS_CONFLICT' },
    });
    await expect(c.command({ command: 'triage', actor: 'agent-1', answers: [], solved: true })).rejects.toMatchObject({
      cause: { type: 'TRIAGE_NOT_FOR_KIND' },
    });
    await c.command({ command: 'cancel', actor: 'agent-1', reason: 'duplicate of another case' });
    expect(await c.handle.result()).toBe('cancelled');
    expect(await taskOf(c)).toMatchObject({ status: 'cancelled' });
  });
});
