/**
 * The recall workflow on the time-skipping server with its real activities and the test database:
 * weeks of reminders and regulator reports run in seconds, at the class's cadence as written.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, asc, eq, isNotNull } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { NotificationSimulator, type RecallMessage } from '../../activities/adapters/notification.js';
import { RegulatorSimulator, type RecallReport } from '../../activities/adapters/regulator.js';
import { ApplicationFailure } from '@temporalio/activity';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { taskActionUpdate } from '../../workflows/inbox.contract.js';
import {
  recallCommandUpdate,
  recallWorkflowId,
  recallWorkflowType,
  type RecallCarried,
  type RecallWorkflow,
} from '../../workflows/recall.contract.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { recordNoticeResponse } from '../../db/recalls.js';
import { recallNotices, recallReports, recalls, tasks } from '../../db/schema.js';
import { seedParties } from '../../db/seed/parties.js';
import type { NoticeResponse } from '../../domain/vocabulary.js';
import { startFileWorker } from '../support/platform.js';
import { historyLengths, productSafetyOfficer, startRecall, webSpaceRecall } from '../support/recalls.js';
import { timeSkippingEnvironment } from '../support/time-skipping.js';

let env: TestWorkflowEnvironment;
/**
 * A plain client: the environment's own lets the server skip time while it awaits a result, and
 * a jump while a workflow task runs local activities can time that task out on the time-skipping
 * server ('invalid history builder state for action'). Time moves only by env.sleep here.
 */
let client: Client;
let database: Database;
const taskQueue = `recalls-${randomUUID()}`;
let worker: Awaited<ReturnType<typeof startFileWorker>> | undefined;
const day = 24 * 3600_000;

/**
 * Holds calls past `gateAfter` until released (a cancel lands mid-notification, for certain), and
 * answers in odd ways when told: deliveries in reverse order, or one left out.
 */
class GatedNotifications extends NotificationSimulator {
  calls = 0;
  private release!: () => void;
  readonly held = new Promise<void>((resolve) => (this.release = resolve));
  gateAfter = Infinity;
  answers: 'inOrder' | 'reversed' | 'lastLeftOut' | 'firstTwiceLastLeftOut' = 'inOrder';
  /** Refuses (a 4xx) the calls it says yes to. */
  refuse: ((messages: RecallMessage[]) => boolean) | null = null;
  open = () => this.release();
  override async send(messages: RecallMessage[]) {
    if (++this.calls > this.gateAfter) await this.held;
    if (this.refuse?.(messages)) throw ApplicationFailure.nonRetryable('refused for the test', 'NotificationRejected');
    const delivered = await super.send(messages);
    if (this.answers === 'reversed') return [...delivered].reverse();
    if (this.answers === 'firstTwiceLastLeftOut') {
      this.answers = 'inOrder';
      return [delivered[0]!, ...delivered.slice(0, -1)];
    }
    if (this.answers === 'lastLeftOut') {
      this.answers = 'inOrder';
      return delivered.slice(0, -1);
    }
    return delivered;
  }
}
/** A regulator that refuses (a 4xx) while told to. */
class RefusingRegulator extends RegulatorSimulator {
  refusing: string | null = null;
  /** While set, filings wait for it (a slow regulator). */
  holding: Promise<void> | null = null;
  /** Files final reports even while refusing the others. */
  sparesFinal = false;
  calls = 0;
  override async file(report: RecallReport) {
    this.calls++;
    await this.holding;
    if (this.refusing && !(report.final && this.sparesFinal))
      throw ApplicationFailure.nonRetryable(`regulator refused: ${this.refusing}`, 'ReportRejected');
    return super.file(report);
  }
}
const notification = new GatedNotifications();
const regulator = new RefusingRegulator();

beforeAll(async () => {
  database = await openDatabase({ url: inject('databaseUrl'), poolSize: 4, dataDir: '.data/test' });
});
/**
 * A time-skipping server and worker of its own for each test. Sharing one across the file, the
 * tests late in it hung now and then on a loaded machine (even queries went unanswered): every
 * recall an earlier test left behind fires its timers in each later jump of the clock.
 */
beforeEach(async () => {
  env = await timeSkippingEnvironment();
  client = new Client({ connection: env.connection });
  worker = await startFileWorker(
    env.nativeConnection,
    taskQueue,
    createActivities({
      db: database.db,
      activation: new ActivationSimulator(),
      billing: new PullBillingSystem(),
      notification,
      regulator,
    }),
  );
});
afterEach(async () => {
  await worker?.stop();
  await env?.teardown();
});
afterAll(async () => {
  notification.open();
  await database?.close();
});

/** `count` customers holding web space; every tenth has no email and gets letters. */
async function parties(count: number) {
  const prefix = `R${randomUUID().slice(0, 8).replace(/-/g, '')}`;
  const customers = await seedParties(database.db, {
    prefix,
    count,
    productId: 'datahost',
    componentId: 'datahost.web-space',
    activatedAt: new Date('2026-01-15T10:00:00Z'),
    withoutContactEvery: 10,
  });
  return { customers, serviceIds: customers.map((c) => `SVC-${c}`) };
}

const notices = (recallId: string) =>
  database.db.select().from(recallNotices).where(eq(recallNotices.recallId, recallId)).orderBy(asc(recallNotices.customerId));
const delivered = (recallId: string, kind: RecallMessage['kind'], round?: number) =>
  [...notification.delivered.values()]
    .filter((m) => m.recallId === recallId && m.kind === kind && (round === undefined || m.id.endsWith(`:reminder:${round}`)))
    .map((m) => m.customerId)
    .sort();
const respond = async (recallId: string, customers: string[], response: NoticeResponse) => {
  for (const c of customers)
    await recordNoticeResponse(database.db, { noticeId: `${recallId}:${c}`, response, quantity: null, by: 'test' });
};
const taskOf = async (id: string) => (await database.db.select().from(tasks).where(eq(tasks.id, id)))[0];
/** Ends a recall a test is done with. */
/**
 * Moves the server's clock exactly to a recall's next reminder or report. Sleeping a round number
 * of days from the test's own now overshoots by the time the test took to get there (seconds on a
 * loaded machine): the server then skips on while the event's workflow task runs, times it out,
 * and refuses its completion ('invalid history builder state for action'), and the test hangs.
 */
async function sleepUntilNext(recallId: string, event: 'nextReminderAt' | 'nextReportAt') {
  const [row] = await database.db.select().from(recalls).where(eq(recalls.id, recallId));
  await env.sleep(Math.max(0, row![event]!.getTime() - (await env.currentTimeMs())));
}

const driveEnd = async (recallId: string) => {
  const handle = client.workflow.getHandle(recallWorkflowId(recallId));
  await handle.executeUpdate(recallCommandUpdate, { args: [{ command: 'cancel', actor: 'test', reason: 'test over' }] });
  expect(await handle.result()).toBe('cancelled');
};

describe('recall from initiation to termination (APQC 6.4)', () => {
  it('notifies every party once, reminds non-responders only, reports every 2 weeks, and ends once the checks reach 100%', async () => {
    const { customers, serviceIds } = await parties(300);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    const [row] = await database.db.select().from(recalls).where(eq(recalls.id, r.recallId));
    expect(row).toMatchObject({ status: 'assessing', affected: 300, quantity: 300 });

    // 6.4.2: product safety assesses; class I (serious harm likely) gives level A, immediate notices, 3-day reminders, 2-week reports.
    const hazard = `${r.recallId}:hazard`;
    await r.until((s) => s.openTaskIds.includes(hazard));
    expect(await taskOf(hazard)).toMatchObject({ kind: 'hazardAssessment', group: 'product-safety', status: 'opened' });
    await r.complete(hazard, { likelihood: 'likely', consequence: 'serious', class: 'I' });
    const started = (await r.handle.describe()).startTime.getTime();
    await r.until((s) => s.status === 'monitoring');

    // 6.4.3: one notice per party, by email or (no email) by letter, each delivered once.
    const sent = await notices(r.recallId);
    expect(sent.map((n) => n.customerId)).toEqual(customers);
    expect(sent.every((n) => n.sentAt !== null)).toBe(true);
    expect(sent.filter((n) => n.method === 'letter').length).toBe(30);
    expect(delivered(r.recallId, 'notice')).toEqual(customers);
    expect(notification.delivered.get(`${r.recallId}:${customers[0]}`)).toMatchObject({ urgency: 'immediate' });
    const [assessed] = await database.db.select().from(recalls).where(eq(recalls.id, r.recallId));
    expect(assessed).toMatchObject({ recallClass: 'I', classRule: { effectivenessLevel: 'A', reminderEvery: 'P3D', reportEvery: 'P14D' } });

    // A third answers before the first reminder: the reminder (day 3) goes to the other two thirds only.
    await respond(r.recallId, customers.slice(0, 50), 'acknowledged');
    await respond(r.recallId, customers.slice(50, 100), 'remedied');
    await env.sleep(3 * day + 60_000);
    await r.until((s) => s.reminderRounds === 1);
    expect(delivered(r.recallId, 'reminder', 1)).toEqual(customers.slice(100));

    // Another hundred answer; day 6's reminder reaches the last hundred only.
    await respond(r.recallId, customers.slice(100, 200), 'returned');
    await env.sleep(3 * day);
    await r.until((s) => s.reminderRounds === 2);
    expect(delivered(r.recallId, 'reminder', 2)).toEqual(customers.slice(200));

    // 6.4.4: the first status report at day 14, with what the regulator asks for.
    await env.sleep(8 * day);
    await r.until((s) => s.reportsFiled === 1);
    const [first] = regulator.reportsOf(r.recallId);
    expect(first).toMatchObject({ number: 1, final: false });
    expect(first!.figures).toMatchObject({
      notified: { parties: 300, methods: { email: 270, letter: 30 } },
      responding: 200,
      nonResponders: 100,
      quantityReturned: 100,
      quantityRemedied: 50,
      effectivenessChecks: { level: 'A', done: 200, respondedPercent: 66.7, targetPercent: 100, targetMet: false },
      remindersSent: 4,
    });
    expect(first!.figures.estimatedCompletion).not.toBeNull();
    const reportedAt = Date.parse(first!.at) - started;
    expect(Math.round(reportedAt / day)).toBe(14);
    expect((await database.db.select().from(recallReports).where(eq(recallReports.recallId, r.recallId))).length).toBe(1);

    // 6.4.5: the last hundred answer; the next daily check finds the target met and asks product safety.
    await respond(r.recallId, customers.slice(200), 'remedied');
    await env.sleep(day);
    const asked = await r.until((s) => s.status === 'terminationRequested');
    const firstAsk = asked.openTaskIds.find((id) => id.includes(':termination:'))!;
    expect(await taskOf(firstAsk)).toMatchObject({ kind: 'recallTermination', group: 'product-safety' });
    const remindersBefore = delivered(r.recallId, 'reminder').length;

    // Refused: monitoring goes on, reports too; the target met asks again only after the next report.
    await r.complete(firstAsk, { approved: false, rationale: 'Wait for the replacement volumes to be verified' });
    await r.until((s) => s.status === 'monitoring');
    await env.sleep(day * 2);
    expect((await r.state()).status).toBe('monitoring');
    await env.sleep(11 * day);
    const again = await r.until((s) => s.status === 'terminationRequested' && s.reportsFiled === 2);
    // Nobody is left without an answer: no reminder went out since.
    expect(delivered(r.recallId, 'reminder').length).toBe(remindersBefore);

    // 6.4.6: approved, the recall ends with a final report.
    await r.complete(
      again.openTaskIds.find((id) => id.includes(':termination:'))!,
      { approved: true },
    );
    expect(await r.handle.result()).toBe('terminated');
    const reports = regulator.reportsOf(r.recallId);
    expect(reports.map((x) => [x.number, x.final])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(reports[2]!.figures).toMatchObject({ status: 'terminated', responding: 300, effectivenessChecks: { targetMet: true } });
    const [ended] = await database.db.select().from(recalls).where(eq(recalls.id, r.recallId));
    expect(ended).toMatchObject({ status: 'terminated', termination: { decision: { approved: true } } });
    expect(ended!.terminatedAt).not.toBeNull();
  });

  it('cancelled mid-notification: the batch in flight ends, nobody else is notified, and everyone notified is told it is withdrawn', async () => {
    const { customers, serviceIds } = await parties(2_000);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    const before = notification.received;
    notification.gateAfter = notification.calls + 2;
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'remote', consequence: 'serious', class: 'II' });
    // Two calls of 500 went out; the third is held at the notification system (it has been made).
    const deadline = Date.now() + 20_000;
    while ((notification.received - before < 1_000 || notification.calls <= notification.gateAfter) && Date.now() < deadline)
      await new Promise((ok) => setTimeout(ok, 50));
    await r.command({ command: 'cancel', reason: 'Wrong firmware version: 4.2.1 is not affected' });
    notification.open();
    expect(await r.handle.result()).toBe('cancelled');

    // The third call was in flight at the cancel: it ends, and no fourth starts.
    const notified = (await notices(r.recallId)).filter((n) => n.sentAt !== null).map((n) => n.customerId);
    expect(notified).toEqual(customers.slice(0, 1_500));
    // Retractions to exactly the parties notified; nothing at all to the others.
    expect(delivered(r.recallId, 'retraction')).toEqual(notified);
    expect(delivered(r.recallId, 'notice')).toEqual(notified);
    const final = regulator.reportsOf(r.recallId);
    expect(final).toMatchObject([{ number: 1, final: true, figures: { status: 'cancelled', notified: { parties: notified.length } } }]);
    const [row] = await database.db.select().from(recalls).where(eq(recalls.id, r.recallId));
    expect(row).toMatchObject({ status: 'cancelled', cancellation: { reason: 'Wrong firmware version: 4.2.1 is not affected' } });
  });

  it('puts a notification system that refuses before product safety, and sends on when they retry', async () => {
    const { customers, serviceIds } = await parties(20);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    notification.refusing = 'unknown sender domain';
    try {
      await r.complete(`${r.recallId}:hazard`, { likelihood: 'unlikely', consequence: 'minor', class: 'III' });
      const stuck = await r.until((s) => s.openTaskIds.some((id) => id.includes(':fallout:')));
      const fallout = stuck.openTaskIds.find((id) => id.includes(':fallout:'))!;
      expect(await taskOf(fallout)).toMatchObject({ kind: 'fallout', group: 'product-safety' });
      expect((await taskOf(fallout))!.title).toContain('unknown sender domain');
      expect(stuck.status).toBe('notifying');
      notification.refusing = null;
      await r.complete(fallout, { action: 'retry' });
    } finally {
      notification.refusing = null;
    }
    await r.until((s) => s.status === 'monitoring');
    expect(delivered(r.recallId, 'notice')).toEqual(customers);
    const sent = await database.db
      .select()
      .from(recallNotices)
      .where(and(eq(recallNotices.recallId, r.recallId), isNotNull(recallNotices.sentAt)));
    expect(sent.length).toBe(20);
    await r.command({ command: 'cancel', reason: 'test over' });
    expect(await r.handle.result()).toBe('cancelled');
  });

  it('continues as new to keep each history short, and goes on where it stood', async () => {
    const { customers, serviceIds } = await parties(40);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds), 80);
    const firstRun = (await r.handle.describe()).runId;
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'unlikely', consequence: 'temporary', class: 'III' });
    await r.until((s) => s.status === 'monitoring');
    await respond(r.recallId, customers.slice(0, 10), 'acknowledged');
    // Class III: level C (10%) is met at the next daily check; refuse, and let two months pass.
    await env.sleep(day);
    const asked = await r.until((s) => s.status === 'terminationRequested');
    await r.complete(asked.openTaskIds[0]!, { approved: false, rationale: 'Keep watching the field' });
    await env.sleep(60 * day);
    const s = await r.until((x) => x.reportsFiled >= 2 && x.run > 1);
    expect(s.reminderRounds).toBeGreaterThanOrEqual(4);
    // Each run's history stayed near the limit.
    const runs = await historyLengths(client, r.handle.workflowId, firstRun);
    expect(runs.length).toBe(s.run);
    for (const length of runs) expect(length).toBeLessThan(200);
    // Reminders went only to those that never answered, one per round, across runs.
    for (let round = 1; round <= s.reminderRounds; round++) expect(delivered(r.recallId, 'reminder', round)).toEqual(customers.slice(10));
    expect(regulator.reportsOf(r.recallId).map((x) => x.number)).toEqual([...Array(s.reportsFiled).keys()].map((i) => i + 1));
    await r.command({ command: 'cancel', reason: 'test over' });
    expect(await r.handle.result()).toBe('cancelled');
  });

  it('records each delivery on its own notice whatever order the system answers in, and sends again what it did not take', async () => {
    const { customers, serviceIds } = await parties(20);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    notification.answers = 'reversed';
    try {
      await r.complete(`${r.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
      await r.until((s) => s.status === 'monitoring');
    } finally {
      notification.answers = 'inOrder';
    }
    // Every tenth party has no email: exactly those are recorded as letters.
    const byLetter = (await notices(r.recallId)).filter((n) => n.method === 'letter').map((n) => n.customerId);
    expect(byLetter).toEqual([customers[9], customers[19]]);

    const ids = [r.recallId];
    for (const answers of ['lastLeftOut', 'firstTwiceLastLeftOut'] as const) {
      const next = await parties(20);
      const q = await startRecall(client, taskQueue, webSpaceRecall(next.serviceIds));
      await q.until((s) => s.openTaskIds.length === 1);
      notification.answers = answers;
      await q.complete(`${q.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
      await q.until((s) => s.status === 'monitoring');
      const sent = await notices(q.recallId);
      expect(
        sent.filter((n) => n.sentAt === null).map((n) => n.customerId),
        answers,
      ).toEqual([]);
      expect(delivered(q.recallId, 'notice')).toEqual(next.customers);
      ids.push(q.recallId);
    }
    for (const id of ids) await driveEnd(id);
  });

  it('keeps monitoring while a refused status report waits on product safety, who may file it by hand', async () => {
    const { serviceIds } = await parties(10);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'remote', consequence: 'serious', class: 'II' });
    await r.until((s) => s.status === 'monitoring');
    regulator.refusing = 'figures schema v2 required';
    try {
      // To the report's time (day 21), not past it: the server does not jump while its fallout task opens.
      await sleepUntilNext(r.recallId, 'nextReportAt');
      const stuck = await r.until((s) => s.openTaskIds.some((id) => id.includes(':fallout:')));
      const fallout = stuck.openTaskIds.find((id) => id.includes(':fallout:'))!;
      expect((await taskOf(fallout))!.title).toContain('filing report 1 failed');
      // Reminders go on meanwhile (weekly for class II).
      const rounds = stuck.reminderRounds;
      await env.sleep(14 * day);
      await r.until((s) => s.reminderRounds >= rounds + 2);
      await r.complete(fallout, { action: 'skip', reason: 'filed through the regulator portal by hand' });
      await r.until((s) => !s.openTaskIds.includes(fallout));
      expect((await r.state()).status).toBe('monitoring');
    } finally {
      regulator.refusing = null;
    }
    await driveEnd(r.recallId);
  });

  it('does not take parties that declined for effectiveness checks done', async () => {
    const { customers, serviceIds } = await parties(20);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
    await r.until((s) => s.status === 'monitoring');
    await respond(r.recallId, customers, 'declined');
    await env.sleep(day + 60_000);
    const s = await r.until((x) => x.counts?.declined === 20);
    expect(s.status).toBe('monitoring');
    expect(s.counts).toMatchObject({ responded: 20, declined: 20 });
    await driveEnd(r.recallId);
  });

  it('finishes the retractions of a cancel that spans runs, each party told once', async () => {
    const { customers, serviceIds } = await parties(200);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds), 12, undefined, 25);
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'remote', consequence: 'serious', class: 'II' });
    await r.until((s) => s.status === 'monitoring', 60_000);
    const before = (await r.state()).run;
    await r.command({ command: 'cancel', reason: 'raised in error' });
    expect(await r.handle.result()).toBe('cancelled');
    expect((await r.state()).run).toBeGreaterThan(before);
    expect(delivered(r.recallId, 'retraction')).toEqual(customers);
    expect(regulator.reportsOf(r.recallId).filter((x) => x.final)).toHaveLength(1);
  });

  it('files no status report a cancel made moot: the retractions wait on nobody', async () => {
    const { customers, serviceIds } = await parties(10);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
    await r.until((s) => s.status === 'monitoring');
    let release!: () => void;
    regulator.holding = new Promise<void>((ok) => (release = ok));
    regulator.refusing = 'portal down for maintenance';
    regulator.sparesFinal = true;
    const before = regulator.calls;
    try {
      // Exactly to the report's time (day 14): a held filing stops the server's clock from skipping further.
      await sleepUntilNext(r.recallId, 'nextReportAt');
      // The day-14 report is with the regulator; the recall is cancelled; then the regulator refuses.
      const deadline = Date.now() + 20_000;
      while (regulator.calls === before && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
      await r.command({ command: 'cancel', reason: 'raised in error' });
      release();
      expect(await r.handle.result()).toBe('cancelled');
    } finally {
      regulator.holding = null;
      regulator.refusing = null;
      regulator.sparesFinal = false;
    }
    expect(delivered(r.recallId, 'retraction')).toEqual(customers);
    const tasksLeft = await database.db.select().from(tasks).where(eq(tasks.subjectId, r.recallId));
    expect(tasksLeft.filter((t) => t.kind === 'fallout')).toEqual([]);
    expect(regulator.reportsOf(r.recallId).map((x) => x.final)).toEqual([true]);
  });

  it('starts the next reminder round at the first party when people skipped one that failed half-way', async () => {
    // More parties than one activity takes (25 here, 5,000 by default): the round fails in its second activity.
    const { customers, serviceIds } = await parties(60);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds), undefined, undefined, 25);
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
    await r.until((s) => s.status === 'monitoring');
    const boundary = customers[24]!;
    notification.refuse = (m) => m[0]!.recallId === r.recallId && m[0]!.id.endsWith(':reminder:1') && m[0]!.customerId > boundary;
    try {
      // To the round's time (day 3), not past it: the server does not jump while its fallout task opens.
      await sleepUntilNext(r.recallId, 'nextReminderAt');
      const stuck = await r.until((s) => s.openTaskIds.some((id) => id.includes(':fallout:')));
      await r.complete(
        stuck.openTaskIds.find((id) => id.includes(':fallout:'))!,
        { action: 'skip', reason: 'round 1 sent by hand' },
      );
    } finally {
      notification.refuse = null;
    }
    expect(delivered(r.recallId, 'reminder', 1)).toEqual(customers.slice(0, 25));
    await sleepUntilNext(r.recallId, 'nextReminderAt'); // day 6
    await r.until((s) => s.reminderRounds === 2 && s.openTaskIds.length === 0);
    await r.until(() => delivered(r.recallId, 'reminder', 2).length === customers.length).catch(() => undefined);
    expect(delivered(r.recallId, 'reminder', 2)).toEqual(customers);
    await driveEnd(r.recallId);
  });

  it('acts on a termination decided in the first workflow task of a run continued as new', async () => {
    const { serviceIds } = await parties(10);
    const r = await startRecall(client, taskQueue, webSpaceRecall(serviceIds));
    await r.until((s) => s.openTaskIds.length === 1);
    await r.complete(`${r.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
    await r.until((s) => s.status === 'monitoring');
    await r.command({ command: 'terminate', reason: 'done' });
    const s = await r.until((x) => x.status === 'terminationRequested');
    const taskId = s.openTaskIds[0]!;
    const [row] = await database.db.select().from(recalls).where(eq(recalls.id, r.recallId));
    // What continue-as-new carries at this point; the next run gets the approval in its first workflow task.
    const carried: RecallCarried = {
      terms: { affected: 10, quantity: 10 },
      status: 'terminationRequested',
      rule: row!.classRule!,
      progress: {
        after: null,
        notifyingFrom: row!.notifyingFrom!.getTime(),
        notifiedAt: row!.notifiedAt!.getTime(),
        nextReminderAt: row!.nextReminderAt!.getTime(),
        nextReportAt: row!.nextReportAt!.getTime(),
        nextCheckAt: row!.notifiedAt!.getTime() + day,
        reminderRounds: 0,
        reportsFiled: 0,
        autoTerminationFrom: 0,
        retracted: false,
        retracting: false,
      },
      counts: s.counts,
      tasksOpened: 1,
      terminationTaskId: taskId,
      termination: row!.termination!,
      decision: null,
      tasks: [{ id: taskId, kind: 'recallTermination', group: 'product-safety', assignee: null, status: 'opened', version: 1 }],
      runs: 1,
    };
    await r.handle.terminate('the test stands in for continue-as-new');
    await client.workflow.executeUpdateWithStart(taskActionUpdate, {
      args: [{ taskId, action: 'complete', actor: productSafetyOfficer, outcome: { approved: true } }],
      startWorkflowOperation: new WithStartWorkflowOperation<RecallWorkflow>(recallWorkflowType, {
        workflowId: recallWorkflowId(r.recallId),
        taskQueue,
        args: [{ recallId: r.recallId, carried }],
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
    expect(await r.handle.result()).toBe('terminated');
  });
});
