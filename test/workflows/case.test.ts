/**
 * The case workflow on the time-skipping server with its real activities and the test database:
 * figure 19's escalation ladders run in seconds, as written (days), not shortened.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { caseEvents, cases, notifications, tasks } from '../../db/schema.js';
import { loadCaseView } from '../../db/views.js';
import { defaultCalendars } from '../../catalog/sla.js';
import { startCase, ticketRequest } from '../support/cases.js';
import { caseSearchAttributes } from '../../workflows/case.contract.js';
import { eventually, startFileWorker } from '../support/platform.js';
import { timeSkippingEnvironment } from '../support/time-skipping.js';

let env: TestWorkflowEnvironment;
let database: Database;
const taskQueue = `cases-${randomUUID()}`;
let worker: Awaited<ReturnType<typeof startFileWorker>> | undefined;
const days = (d: number) => d * 24 * 3600_000;
const hours = (h: number) => h * 3600_000;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  database = await openDatabase({ url: inject('databaseUrl'), poolSize: 4, dataDir: '.data/test' });
  worker = await startFileWorker(
    env.nativeConnection,
    taskQueue,
    createActivities({ db: database.db, activation: new ActivationSimulator(), billing: new PullBillingSystem() }),
  );
});
afterAll(async () => {
  await worker?.stop();
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

/** The next Friday 15:00 office time (UTC+1) with neither it nor the Monday after a holiday. */
function nextOfficeFriday(nowMs: number): number {
  const office = defaultCalendars.find((k) => k.id === 'office')!;
  const isHoliday = (ms: number) => office.holidays.includes(new Date(ms).toISOString().slice(0, 10));
  for (let d = Math.ceil(nowMs / days(1)) * days(1); ; d += days(1))
    if (new Date(d).getUTCDay() === 5 && !isHoliday(d) && !isHoliday(d + days(3))) return d + hours(14);
}

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
    expect(await taskOf(c)).toMatchObject({ group: 'service-desk' }); // with the first level, for triage
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

  it('under office hours, a target set on a Friday afternoon falls due on Monday at the right hour, warned at 50% and 75% before', async () => {
    const friday = nextOfficeFriday(await env.currentTimeMs()); // 15:00 office time, 14:00 UTC
    await env.sleep(friday - (await env.currentTimeMs()));
    const c = await startCase(env.client, database.db, taskQueue, ticketRequest('defect', { severity: 'minor' }));
    const monday = friday + days(3);
    const response = async () => (await loadCaseView(database.db, c.caseId))!.sla.find((k) => k.metric === 'response')!;
    // PT8H of office time: Friday 15:00-17:00, then Monday 09:00-15:00.
    expect(await response()).toMatchObject({ target: 'PT8H', level: 'SLO', calendarId: 'office', running: true, warnings: [] });
    // The case starts a moment after 15:00 on the server's clock: every instant is a moment later.
    const near = (ms: number) => expect.toSatisfy((at: string) => Math.abs(Date.parse(at) - ms) < 1_000);
    expect((await response()).due).toEqual(near(monday));
    const responseClock = (s: Awaited<ReturnType<typeof c.state>>) => s.sla.find((k) => k.metric === 'response')!;
    // The workflow takes the timer, then its row is written: the query first, then the row.
    const written = (done: (r: Awaited<ReturnType<typeof response>>) => boolean) => eventually(response, done);
    await env.sleep(monday - hours(4) + 60_000 - (await env.currentTimeMs())); // Monday 11:01 office time
    await c.until((s) => responseClock(s).warnings.length === 1);
    await written((r) => r.warnings.length === 1);
    expect((await response()).warnings).toEqual([{ percent: 50, at: near(monday - hours(4)) }]);
    await env.sleep(hours(2));
    await c.until((s) => responseClock(s).warnings.length === 2);
    await written((r) => r.warnings.length === 2);
    expect((await response()).warnings).toEqual([
      { percent: 50, at: near(monday - hours(4)) },
      { percent: 75, at: near(monday - hours(2)) },
    ]);
    expect((await response()).result).toBeNull();
    await env.sleep(hours(2));
    await c.until((s) => responseClock(s).breached);
    await written((r) => r.breachedAt !== null);
    expect(await response()).toMatchObject({ result: null, breachedAt: near(monday) });
    const notices = await database.db
      .select({ kind: notifications.kind, recipient: notifications.recipient })
      .from(notifications)
      .where(eq(notifications.subjectId, c.caseId));
    expect(notices).toEqual(
      expect.arrayContaining([
        { kind: 'slaWarning', recipient: 'group:service-desk' },
        { kind: 'slaBreach', recipient: 'group:technical-management' },
      ]),
    );
    // Answering now records the response target breached, with its times.
    await c.command({ command: 'triage', actor: 'agent-1', answers: [], solved: false });
    expect(await response()).toMatchObject({ result: 'breached', running: false });
  });

  it('continues as new when its history grows, carrying status, task, escalation and clocks', async () => {
    const c = await startCase(env.client, database.db, taskQueue, ticketRequest('billing'), 60);
    const firstRun = (await c.handle.describe()).runId;
    await c.command({ command: 'open', actor: 'agent-1' });
    await after(c, days(7) + 60_000, 1);
    for (let i = 1; i <= 12; i++) await c.command({ command: 'notes', actor: 'agent-1', text: `call ${i}` });
    const continued = await c.until((s) => s.status === 'open' && s.escalationLevel === 1);
    const described = await c.handle.describe();
    expect(described.runId).not.toBe(firstRun);
    // Support still finds it by kind and customer in the new run.
    expect(described.typedSearchAttributes.get(caseSearchAttributes.kind)).toBe('billing');
    expect(described.typedSearchAttributes.get(caseSearchAttributes.customerId)).toBe(c.customerId);
    expect(continued).toMatchObject({ ownerGroup: 'billing-coordination', openTaskIds: [expect.stringContaining(':work:1')] });
    const history = await c.handle.fetchHistory();
    expect(history.events!.length).toBeLessThan(120);
    // The new run takes up the ladder where it stood: level 2 a week after level 1.
    await after(c, days(7), 2);
    const task = (await taskOf(c))!;
    expect(task).toMatchObject({ group: 'billing-management', status: 'opened' });
    await c.command({ command: 'resolve', actor: 'ana', resolution: 'refunded' });
    await c.command({ command: 'close', actor: 'customer' });
    expect(await c.handle.result()).toBe('closed');
    const notes = await database.db
      .select()
      .from(caseEvents)
      .where(and(eq(caseEvents.caseId, c.caseId), eq(caseEvents.kind, 'note')));
    expect(notes).toHaveLength(12);
    expect((await caseRow(c.caseId)).sla.find((k) => k.metric === 'resolution')).toMatchObject({ result: expect.any(String) });
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
