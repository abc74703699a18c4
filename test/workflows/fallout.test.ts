/**
 * Fallout by policy, each cause and each outcome, on the time-skipping server with the real
 * activities over a database of this file's own (its policy table is changed here, and no other
 * file should see that): retries by rule that heal, skips that leave an honest state, cancels that
 * compensate, waits that end in a task, and the database's blips that spend no retry budget.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationSimulator, type ActivationRequest, type DeactivationRequest } from '../../activities/adapters/activation.js';
import type { BillingSystem, ReadyForBilling } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { createScratchDatabase } from '../../db/scratch.js';
import { seedCatalogue } from '../../db/seed/catalog.js';
import {
  activations,
  cancelRequests,
  falloutPolicies,
  notifications,
  productOrders,
  rfbs,
  serviceInstances,
  taskEvents,
  tasks,
} from '../../db/schema.js';
import { taskActionUpdate } from '../../workflows/inbox.contract.js';
import { acceptanceUpdate, cancelOrderUpdate, rfbAcknowledgementUpdate } from '../../workflows/order.contract.js';
import { datahostRequest, optionalOf, orderIdOf, startOrder } from '../support/orders.js';
import { defaultOrderSettings, startFileWorker } from '../support/platform.js';
import { tcpGate } from '../support/tcp-gate.js';
import { timeSkippingEnvironment } from '../support/time-skipping.js';

/** The activation system, down or refusing (4xx) for the orders a test names. */
class FaultyActivation extends ActivationSimulator {
  readonly down = new Set<string>();
  readonly refusing = new Set<string>();
  readonly refusingDeactivation = new Set<string>();
  /** Orders whose activations take 1.5 s each. */
  readonly slow = new Set<string>();
  override async activate(r: ActivationRequest) {
    if (this.down.has(r.orderId)) throw new Error('activation system unavailable');
    if (this.slow.has(r.orderId)) {
      this.started.set(r.orderId, this.slowCalls(r.orderId) + 1);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    if (this.refusing.has(r.orderId)) throw ApplicationFailure.nonRetryable(`unknown service ${r.serviceId} (422)`, 'ActivationRejected');
    return super.activate(r);
  }
  private readonly started = new Map<string, number>();
  slowCalls = (orderId: string) => this.started.get(orderId) ?? 0;
  override async deactivate(r: DeactivationRequest) {
    if (this.refusingDeactivation.has(r.orderId)) throw ApplicationFailure.nonRetryable('deactivation refused (409)', 'ActivationRejected');
    return super.deactivate(r);
  }
}

/** Billing that reads RFBs from us (pull), down for the orders a test names; it counts what it is told. */
class FaultyBilling implements BillingSystem {
  readonly down = new Set<string>();
  readonly received: string[] = [];
  readonly withdrawn: string[] = [];
  async sendReadyForBilling(rfb: ReadyForBilling) {
    if (this.down.has(rfb.orderId)) throw new Error('billing unavailable (503)');
    this.received.push(rfb.rfbId);
  }
  async withdraw(w: { rfbId: string; orderId: string }) {
    if (this.down.has(w.orderId)) throw new Error('billing unavailable (503)');
    this.withdrawn.push(w.rfbId);
  }
  async stopCycle() {}
}

let env: TestWorkflowEnvironment;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let database: Database;
/** The worker's own connection to the same database, through a gate the blip test closes. */
let workerDatabase: Database;
let gate: Awaited<ReturnType<typeof tcpGate>>;
const activation = new FaultyActivation({ latencyMs: 0, failureRate: 0 });
const billing = new FaultyBilling();
const taskQueue = `fallout-${randomUUID()}`;
let worker: Awaited<ReturnType<typeof startFileWorker>> | undefined;
const operator = { keyId: 'op-1', role: 'backoffice', groups: ['fallout'] };
const minutes = (m: number) => m * 60_000;
const hours = (h: number) => h * 3600_000;
const days = (d: number) => d * 24 * 3600_000;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  scratch = await createScratchDatabase('fallout');
  database = await openDatabase({ url: scratch.url, poolSize: 4, dataDir: '.data/test' });
  await database.migrate();
  await seedCatalogue(database.db);
  const server = new URL(scratch.url);
  gate = await tcpGate({ host: server.hostname, port: Number(server.port || 5432) });
  workerDatabase = await openDatabase({ url: gate.through(scratch.url), poolSize: 4, dataDir: '.data/test' });
  worker = await startFileWorker(env.nativeConnection, taskQueue, createActivities({ db: workerDatabase.db, activation, billing }));
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await workerDatabase?.close();
  await gate?.stop();
  await database?.close();
  await scratch?.drop();
  await env?.teardown();
});

const start = (components: string[]) => startFaulty(components, new Set());
type Order = Awaited<ReturnType<typeof start>>;
const db = () => database.db;
const orderRow = async (id: string) => (await db().select().from(productOrders).where(eq(productOrders.id, id)))[0]!;
const tasksOf = (orderId: string) => db().select().from(tasks).where(eq(tasks.subjectId, orderId));
const servicesOf = (orderId: string) => db().select().from(serviceInstances).where(eq(serviceInstances.orderId, orderId));
const falloutTask = (s: { openTaskIds: string[] }) => s.openTaskIds.find((id) => id.includes(':fallout:'));

async function decide(o: Order, taskId: string, outcome: { action: string; reason?: string }) {
  await o.handle.executeUpdate(taskActionUpdate, { args: [{ taskId, action: 'complete', actor: operator, outcome }] });
}
async function accept(o: Order, phase: 1 | 2) {
  await o.until((s) => s.waitingFor.includes(`acceptance${phase}`));
  await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase, decision: 'accepted', actor: 'customer' }] });
}
/** Billing's answer once the RFB of `phase` is written (its milestone inProgress). */
async function acknowledge(o: Order, phase: 1 | 2, status: 'accepted' | 'rejected' = 'accepted') {
  const s = await o.until(
    (s) => s.milestones[`rfb${phase}`].status === 'inProgress' && s.rfbs.some((r) => r.phase === phase && r.status === 'sent'),
  );
  const rfb = s.rfbs.filter((r) => r.phase === phase && r.status === 'sent').at(-1)!;
  await o.handle.executeUpdate(rfbAcknowledgementUpdate, {
    args: [{ rfbId: rfb.id, status, ...(status === 'rejected' ? { reason: 'no account' } : {}) }],
  });
  return rfb.id;
}

/** Starts an order whose systems misbehave (`fault` names it) from its first step. */
async function startFaulty(components: string[], fault: Set<string>) {
  const taxId = `FO-${randomUUID().slice(0, 8)}`;
  const request = { ...datahostRequest(components, taxId), externalId: taxId };
  const orderId = await orderIdOf(database.db, request);
  fault.add(orderId);
  return startOrder(env.client, database.db, taskQueue, request, defaultOrderSettings);
}

describe('fallout by policy', () => {
  it('activation down through its retries: retried by rule after the back-off, healed without a task', async () => {
    const o = await startFaulty([], activation.down);
    await env.sleep(minutes(16)); // the activity's own 15 minutes of retries
    const retrying = await o.until((s) => s.step.startsWith('retrying activation1'));
    expect(retrying.step).toContain('policy activation.ACTIVATION_FAILED');
    expect(retrying.state).toBe('inProgress');
    activation.down.delete(o.orderId);
    await env.sleep(minutes(20)); // the policy's 15 minutes
    const healed = await o.until((s) => s.milestones.activation1.status === 'done');
    expect(healed.waitingFor).toContain('acceptance1');
    expect(await tasksOf(o.orderId)).toEqual([]);
  });

  it('activation refused (4xx): a task at once; skip leaves its services notActivated, unbilled, and the order says so', async () => {
    const o = await startFaulty([], activation.refusing);
    const held = await o.until((s) => s.state === 'held' && falloutTask(s) !== undefined);
    expect(held.step).toBe('fallout: activation1');
    const [task] = await tasksOf(o.orderId);
    expect(task!.input).toMatchObject({ step: 'activation1', errorCode: 'ACTIVATION_REJECTED', policy: 'activation.ACTIVATION_REJECTED' });
    await decide(o, task!.id, { action: 'skip', reason: 'provisioned by hand later' });

    await accept(o, 1);
    const rfbId = await acknowledge(o, 1);
    expect(await o.handle.result()).toBe('completed');
    const row = await orderRow(o.orderId);
    expect(row.milestones.activation1).toMatchObject({ status: 'skipped', detail: expect.stringContaining('not activated: ') });
    expect(row.milestones.activation1!.detail).toContain('provisioned by hand later');
    const services = await servicesOf(o.orderId);
    expect(services.length).toBeGreaterThan(0);
    expect(services.map((s) => s.state)).toEqual(services.map(() => 'notActivated'));
    // RFB 1 bills no component that was not activated.
    const [sent] = await db().select().from(rfbs).where(eq(rfbs.id, rfbId));
    expect((sent!.payload as ReadyForBilling).items.flatMap((i) => i.componentIds)).toEqual([]);
  });

  it('a customer who never answers: reminded, waited for again by rule, then a task; an answer meanwhile withdraws it', async () => {
    const o = await start([]);
    await o.until((s) => s.waitingFor.includes('acceptance1'));
    await env.sleep(days(7) + minutes(1));
    await env.sleep(days(7) + minutes(1));
    const held = await o.until((s) => s.state === 'held' && s.step === 'fallout: acceptance1');
    expect(held.waitingFor).toContain('acceptance1'); // still awaited while the fallout group looks
    const reminders = await db()
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(eq(notifications.subjectId, o.orderId), eq(notifications.kind, 'acceptanceReminder')));
    expect(reminders.map((r) => r.id).sort()).toEqual([`${o.orderId}:reminder:acceptance1`, `${o.orderId}:reminder:acceptance1.2`]);
    const acceptanceTask = (await tasksOf(o.orderId)).find((t) => (t.input as { step: string }).step === 'acceptance1')!;
    expect(acceptanceTask.input).toMatchObject({ errorCode: 'NO_ANSWER' });

    await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'accepted', actor: 'customer' }] });
    const after = await o.until((s) => s.milestones.acceptance1.status === 'done' && s.state === 'inProgress');
    expect(after.step).toBe('rfb1');
    const [withdrawn] = await db().select().from(tasks).where(eq(tasks.id, acceptanceTask.id));
    expect(withdrawn!.status).toBe('cancelled');
    const events = await db().select().from(taskEvents).where(eq(taskEvents.taskId, acceptanceTask.id));
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['open', 'system'],
      ['cancel', 'system'],
    ]);
  });

  it('billing that never acknowledges: the same RFB again, then a task; skip withdraws it at billing: billing not started', async () => {
    const o = await start([]);
    await accept(o, 1);
    const first = await o.until((s) => s.milestones.rfb1.status === 'inProgress');
    const rfbId = first.rfbs[0]!.id;
    await env.sleep(days(3) + minutes(1));
    await env.sleep(days(3) + minutes(1));
    const held = await o.until((s) => s.state === 'held' && s.step === 'fallout: rfb1');
    expect(held.rfbs.map((r) => r.id)).toEqual([rfbId]); // resent, not a second RFB
    expect(billing.received.filter((id) => id === rfbId)).toHaveLength(2);
    const rfbTask = (await tasksOf(o.orderId)).find((t) => (t.input as { step: string }).step === 'rfb1')!;
    await decide(o, rfbTask.id, { action: 'skip', reason: 'billed by hand' });

    expect(await o.handle.result()).toBe('completed');
    expect(billing.withdrawn).toContain(rfbId);
    const [rfb] = await db().select().from(rfbs).where(eq(rfbs.id, rfbId));
    expect(rfb!.status).toBe('withdrawn');
    const row = await orderRow(o.orderId);
    expect(row.milestones.rfb1).toMatchObject({ status: 'skipped', detail: expect.stringContaining('billing not started for phase 1') });
    expect(row.billingStartDate).toBeNull();
    // The 24 h task of phase 1 went once phase 1 was settled by the skip.
    const open = (await tasksOf(o.orderId)).filter((t) => t.status === 'opened');
    expect(open).toEqual([]);
    const late = o.handle.executeUpdate(rfbAcknowledgementUpdate, { args: [{ rfbId, status: 'accepted' }] });
    await expect(late).rejects.toThrow();
  });

  it('billing down through the send retries: sent again by rule once billing is back, no task', async () => {
    const o = await startFaulty([], billing.down);
    await accept(o, 1);
    await env.sleep(minutes(16)); // the send's own 15 minutes of retries
    const retrying = await o.until((s) => s.step.startsWith('retrying rfb1'));
    expect(retrying.step).toContain('BILLING_UNAVAILABLE');
    billing.down.delete(o.orderId);
    await env.sleep(minutes(15));
    await acknowledge(o, 1);
    expect(await o.handle.result()).toBe('completed');
    expect((await tasksOf(o.orderId)).filter((t) => t.kind === 'fallout')).toEqual([]);
  });

  it('billing rejects: retry from fallout sends a new RFB, which billing accepts', async () => {
    const o = await start([]);
    await accept(o, 1);
    const rejected = await acknowledge(o, 1, 'rejected');
    const held = await o.until((s) => s.state === 'held' && falloutTask(s) !== undefined);
    await decide(o, falloutTask(held)!, { action: 'retry' });
    const retried = await acknowledge(o, 1);
    expect(retried).toBe(`${rejected}.2`);
    expect(await o.handle.result()).toBe('completed');
    expect((await orderRow(o.orderId)).billingStartDate).not.toBeNull();
  });

  it('phase 1 missed its 24 h: a task while the order keeps waiting; cancel there compensates', async () => {
    const o = await start(optionalOf('auto-phase-1'));
    await o.until((s) => s.waitingFor.includes('acceptance1'));
    await env.sleep(hours(24) + minutes(1));
    const late = await o.until((s) => falloutTask(s) !== undefined);
    expect(late.state).toBe('inProgress');
    expect(late.waitingFor).toContain('acceptance1');
    const [task] = (await tasksOf(o.orderId)).filter((t) => t.kind === 'fallout');
    expect(task!.input).toMatchObject({ errorCode: 'DEADLINE_MISSED' });
    await decide(o, task!.id, { action: 'cancel', reason: 'customer no longer reachable' });
    expect(await o.handle.result()).toBe('cancelled');
    expect(activation.held(o.orderId).every((c) => c.state === 'inactive')).toBe(true);
    expect(activation.held(o.orderId).length).toBeGreaterThan(0);
    expect((await servicesOf(o.orderId)).every((s) => s.state === 'terminated')).toBe(true);
  });

  it('compensation refused: retried by rule, then a task that cannot cancel; retry there finishes the cancel', async () => {
    const o = await start(optionalOf('auto-phase-1'));
    await o.until((s) => s.milestones.activation1.status === 'done');
    activation.refusingDeactivation.add(o.orderId);
    await o.handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed plans', actor: 'agent-1' }] });
    await env.sleep(hours(1)); // 5, 10 and 20 minutes of policy retries
    const stuck = await o.until((s) => s.step === 'fallout: compensation');
    expect(stuck.state).toBe('pendingCancellation');
    expect((await orderRow(o.orderId)).state).toBe('pendingCancellation');
    const taskId = falloutTask(stuck)!;
    const refused = await decide(o, taskId, { action: 'cancel', reason: 'x' }).catch((err: Error) => err);
    expect((refused as Error).cause).toMatchObject({ type: 'INVALID_OUTCOME', message: expect.stringContaining('retry, skip') });
    activation.refusingDeactivation.delete(o.orderId);
    await decide(o, taskId, { action: 'retry' });
    expect(await o.handle.result()).toBe('cancelled');
    expect(activation.held(o.orderId).every((c) => c.state === 'inactive')).toBe(true);
    const [request] = await db().select().from(cancelRequests).where(eq(cancelRequests.orderId, o.orderId));
    expect(request!.state).toBe('done');
  });

  it('compensation given up in fallout: the order is cancelled and its cancel request terminatedWithError says why', async () => {
    const o = await start(optionalOf('auto-phase-1'));
    await o.until((s) => s.milestones.activation1.status === 'done');
    activation.refusingDeactivation.add(o.orderId);
    await o.handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed plans', actor: 'agent-1' }] });
    await env.sleep(hours(1));
    const stuck = await o.until((s) => s.step === 'fallout: compensation');
    await decide(o, falloutTask(stuck)!, { action: 'skip', reason: 'deactivated by hand in the activation console' });
    expect(await o.handle.result()).toBe('cancelled');
    expect((await orderRow(o.orderId)).state).toBe('cancelled');
    const [request] = await db().select().from(cancelRequests).where(eq(cancelRequests.orderId, o.orderId));
    expect(request).toMatchObject({ state: 'terminatedWithError', error: expect.stringContaining('deactivated by hand') });
    activation.refusingDeactivation.delete(o.orderId);
  });

  it('a policy change applies to steps that start after it: abort cancels the later order, the earlier one asks people', async () => {
    const before = await start([]);
    await before.until((s) => s.waitingFor.includes('acceptance1'));
    await db()
      .update(falloutPolicies)
      .set({ first: { kind: 'abort' }, second: { kind: 'abort' } })
      .where(eq(falloutPolicies.id, 'acceptance.REJECTED'));
    try {
      const after = await start([]);
      for (const o of [before, after]) {
        await o.until((s) => s.waitingFor.includes('acceptance1'));
        await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'rejected', actor: 'customer' }] });
      }
      expect(await after.handle.result()).toBe('cancelled');
      expect(activation.held(after.orderId).every((c) => c.state === 'inactive')).toBe(true);
      const held = await before.until((s) => s.state === 'held' && falloutTask(s) !== undefined);
      await decide(before, falloutTask(held)!, { action: 'cancel', reason: 'done with the test' });
      expect(await before.handle.result()).toBe('cancelled');
    } finally {
      await db()
        .update(falloutPolicies)
        .set({ first: { kind: 'manual' }, second: { kind: 'manual' } })
        .where(eq(falloutPolicies.id, 'acceptance.REJECTED'));
    }
  });

  it("a database blip during activation spends none of the activation's retries", async () => {
    const o = await startFaulty(optionalOf('auto-phase-1'), activation.slow);
    // Closed as the first calls go out: their results are written once the database is back.
    await o.until(() => activation.slowCalls(o.orderId) > 0, 20_000);
    gate.close();
    await new Promise((r) => setTimeout(r, 3_000));
    gate.open();
    await o.until((s) => s.milestones.activation1.status === 'done', 60_000);
    const sent = await db().select().from(activations).where(eq(activations.orderId, o.orderId));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.map((a) => [a.attempt, a.status])).toEqual(sent.map(() => [1, 'succeeded']));
    for (const a of sent) expect(activation.performed.get(a.idempotencyKey)).toBe(1);
    expect(await tasksOf(o.orderId)).toEqual([]);
  });
});
