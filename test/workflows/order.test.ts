/**
 * The order workflow on the time-skipping server with its real activities and the test database:
 * the 24-hour rules run in seconds, as written, not shortened.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActivationSimulator, type ActivationRequest } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { activations, notifications, productOrders, serviceInstances, tasks } from '../../db/schema.js';
import { acceptanceUpdate, rfbAcknowledgementUpdate } from '../../workflows/order.contract.js';
import { taskActionUpdate } from '../../workflows/inbox.contract.js';
import { datahostRequest, optionalOf, orderIdOf, startOrder } from '../support/orders.js';
import { defaultOrderSettings, startFileWorker } from '../support/platform.js';
import { timeSkippingEnvironment } from '../support/time-skipping.js';

/** The activation system activates, then its answer is lost the first time per key: the retry case. */
class LossyActivationSystem extends ActivationSimulator {
  private readonly lost = new Set<string>();
  /** Orders for which the activation system is down. */
  readonly down = new Set<string>();
  override async activate(r: ActivationRequest) {
    if (this.down.has(r.orderId)) throw new Error('activation system unavailable');
    const result = await super.activate(r);
    if (!this.lost.has(r.idempotencyKey)) {
      this.lost.add(r.idempotencyKey);
      throw new Error('connection reset after the activation was made');
    }
    return result;
  }
}

let env: TestWorkflowEnvironment;
let database: Database;
const activation = new LossyActivationSystem();
const taskQueue = `orders-${randomUUID()}`;
let worker: Awaited<ReturnType<typeof startFileWorker>> | undefined;
const operator = { keyId: 'op-1', role: 'backoffice', groups: ['provisioning', 'web-marketing', 'fallout'] };

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  database = await openDatabase({ url: inject('databaseUrl'), poolSize: 4, dataDir: '.data/test' });
  worker = await startFileWorker(
    env.nativeConnection,
    taskQueue,
    createActivities({ db: database.db, activation, billing: new PullBillingSystem() }),
  );
});
afterAll(async () => {
  await worker?.stop();
  await database?.close();
  await env?.teardown();
});

const hours = (h: number) => h * 3600_000;
const start = (components: string[]) => startOrder(env.client, database.db, taskQueue, datahostRequest(components), defaultOrderSettings);
const orderRow = async (id: string) => (await database.db.select().from(productOrders).where(eq(productOrders.id, id)))[0]!;

async function completePhase1(o: Awaited<ReturnType<typeof start>>) {
  await o.until((s) => s.waitingFor.includes('acceptance1'));
  await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'accepted', actor: 'customer' }] });
  const s = await o.until((s) => s.rfbs.length === 1);
  await o.handle.executeUpdate(rfbAcknowledgementUpdate, {
    args: [{ rfbId: s.rfbs[0]!.id, status: 'accepted', billingAccountId: 'BA-1' }],
  });
}

describe('order workflow, on the clock', () => {
  it('records phase 1 as on time when activation 1 and RFB 1 finish within 24 h; with nothing in phase 2 the order completes then', async () => {
    const o = await start(optionalOf('auto-phase-1'));
    await completePhase1(o);
    await env.sleep(hours(25)); // past the deadline: nothing may be recorded as missed
    // Nothing for phase 2 and no manual task: acceptance 2 and RFB 2 do not run.
    const s = await o.until((s) => s.state === 'completed');
    expect(s.rfbs).toHaveLength(1);
    expect([s.milestones.activation2.status, s.milestones.acceptance2.status, s.milestones.rfb2.status]).toEqual([
      'notApplicable',
      'notApplicable',
      'notApplicable',
    ]);
    expect(await o.handle.result()).toBe('completed');
    expect(s.milestones.activation1).toMatchObject({ status: 'done' });
    expect(s.milestones.rfb1).toMatchObject({ status: 'done' });
    expect(s.milestones.activation1.deadlineMissed).toBeUndefined();
    expect(s.milestones.rfb1.deadlineMissed).toBeUndefined();
    const row = await orderRow(o.orderId);
    expect(row.milestones.rfb1!.deadlineMissed).toBeUndefined();
    expect(
      await database.db
        .select()
        .from(notifications)
        .where(and(eq(notifications.subjectId, o.orderId), eq(notifications.kind, 'deadlineMissed'))),
    ).toEqual([]);
  });

  it('records a missed 24 h deadline, tells the fallout group with a task while the order waits on, and reminds the customer after 48 h', async () => {
    const o = await start([]);
    await o.until((s) => s.waitingFor.includes('acceptance1'));
    await env.sleep(hours(24) + 60_000);
    const s = await o.until((s) => s.milestones.rfb1.deadlineMissed === true);
    expect(s.milestones.activation1.deadlineMissed).toBeUndefined(); // activation 1 was on time
    expect((await orderRow(o.orderId)).milestones.rfb1).toMatchObject({ deadlineMissed: true });
    const told = await database.db.select().from(notifications).where(eq(notifications.subjectId, o.orderId));
    expect(told).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'deadlineMissed', recipient: 'group:fallout', message: expect.stringContaining('rfb1') }),
      ]),
    );
    // The fallout group gets a task; the order is not held, it keeps waiting for the customer.
    expect(s.state).toBe('inProgress');
    const [deadlineTask] = await database.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.subjectId, o.orderId), eq(tasks.kind, 'fallout')));
    expect(deadlineTask).toMatchObject({
      group: 'fallout',
      status: 'opened',
      input: expect.objectContaining({ errorCode: 'DEADLINE_MISSED' }),
    });

    await env.sleep(hours(24));
    const reminded = await database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.subjectId, o.orderId), eq(notifications.kind, 'acceptanceReminder')));
    expect(reminded).toEqual([expect.objectContaining({ recipient: `customer:${o.view.customerId}` })]);
    expect(o.view.customerId).toMatch(/^CUST-/);
    // A late acceptance and acknowledgement still complete phase 1, and the miss stays recorded.
    await completePhase1(o);
    const after = await o.until((s) => s.milestones.rfb1.status === 'done' && s.openTaskIds.length === 0);
    expect(after.milestones.rfb1.deadlineMissed).toBe(true);
    // Phase 1 done: the deadline's task is withdrawn, nobody has to answer it any more.
    const [withdrawn] = await database.db.select().from(tasks).where(eq(tasks.id, deadlineTask!.id));
    expect(withdrawn!.status).toBe('cancelled');
  });

  it('holds activation 2 until every manual task is completed, however long that takes', async () => {
    const o = await start([...optionalOf('manual'), ...optionalOf('auto-phase-2')]);
    await completePhase1(o);
    const waiting = await o.until((s) => s.openTaskIds.length === 2 && s.milestones.rfb1.status === 'done');
    await env.sleep(hours(72));
    expect((await o.state()).milestones.activation2.status).toBe('pending');
    const phase2 = () =>
      database.db
        .select()
        .from(activations)
        .where(and(eq(activations.orderId, o.orderId), eq(activations.phase, 2)));
    expect(await phase2()).toEqual([]);

    const [first, second] = waiting.openTaskIds;
    await o.handle.executeUpdate(taskActionUpdate, {
      args: [{ taskId: first!, action: 'complete', actor: operator, outcome: { done: true } }],
    });
    expect((await o.state()).milestones.activation2.status).toBe('pending');
    await o.handle.executeUpdate(taskActionUpdate, {
      args: [{ taskId: second!, action: 'complete', actor: operator, outcome: { done: true } }],
    });
    const s = await o.until((s) => s.milestones.activation2.status === 'done');
    expect(s.milestones.manualTasks.status).toBe('done');
    expect(
      (await phase2())
        .filter((a) => a.status === 'succeeded')
        .map((a) => a.componentId)
        .sort(),
    ).toEqual(optionalOf('auto-phase-2').sort());
  });

  it('never activates a component twice when a retried activity repeats the request', async () => {
    const o = await start(optionalOf('auto-phase-1'));
    await o.until((s) => s.milestones.activation1.status === 'done');
    const sent = await database.db.select().from(activations).where(eq(activations.orderId, o.orderId));
    const keys = [...new Set(sent.map((a) => a.idempotencyKey))];
    expect(keys).toHaveLength(3 + optionalOf('auto-phase-1').length);
    for (const key of keys) {
      // Sent twice (the first answer was lost), performed once.
      expect(activation.requests.filter((k) => k === key)).toHaveLength(2);
      expect(activation.performed.get(key)).toBe(1);
      expect(
        sent
          .filter((a) => a.idempotencyKey === key)
          .map((a) => [a.attempt, a.status])
          .sort(),
      ).toEqual([
        [1, 'failed'],
        [2, 'succeeded'],
      ]);
    }
  });

  it('puts a rejected acceptance on fallout; cancelling there compensates and ends the order cancelled', async () => {
    const o = await start(optionalOf('auto-phase-1'));
    await o.until((s) => s.waitingFor.includes('acceptance1'));
    await o.handle.executeUpdate(acceptanceUpdate, {
      args: [{ phase: 1, decision: 'rejected', comment: 'wrong domain', actor: 'customer' }],
    });
    const held = await o.until((s) => s.state === 'held' && s.openTaskIds.length === 1);
    expect((await orderRow(o.orderId)).state).toBe('held');
    const falloutTask = held.openTaskIds[0]!;

    const refused = o.handle.executeUpdate(taskActionUpdate, {
      args: [{ taskId: falloutTask, action: 'complete', actor: operator, outcome: { action: 'skip' } }],
    });
    await expect(refused).rejects.toThrow(); // a skip needs a reason

    await o.handle.executeUpdate(taskActionUpdate, {
      args: [{ taskId: falloutTask, action: 'complete', actor: operator, outcome: { action: 'cancel', reason: 'customer withdrew' } }],
    });
    expect(await o.handle.result()).toBe('cancelled');
    expect((await orderRow(o.orderId)).state).toBe('cancelled');
    const services = await database.db.select().from(serviceInstances).where(eq(serviceInstances.orderId, o.orderId));
    expect(services.every((s) => s.state === 'terminated')).toBe(true);
    const deactivated = activation.requests.filter((k) => k.startsWith(`${o.orderId}:`) && k.endsWith(':deactivate'));
    expect(deactivated).toHaveLength(3 + optionalOf('auto-phase-1').length);
  });

  it('sends an activation that retries cannot cure to fallout, and retries it from there', async () => {
    const taxId = `DOWN-${randomUUID().slice(0, 8)}`;
    const request = { ...datahostRequest([], taxId), externalId: taxId }; // a fixed order id, known before the start
    activation.down.add(await orderIdOf(database.db, request));
    const o = await startOrder(env.client, database.db, taskQueue, request, defaultOrderSettings);
    // The activity's 15 minutes of retries, then the policy's two retries (after 15 and 30 minutes), each of 15 minutes.
    await env.sleep(hours(2));
    const held = await o.until((s) => s.state === 'held' && s.openTaskIds.length === 1);
    expect(held.step).toBe('fallout: activation1');
    const [task] = await database.db.select().from(tasks).where(eq(tasks.id, held.openTaskIds[0]!));
    expect(task).toMatchObject({ kind: 'fallout', group: 'fallout', status: 'opened', priority: 1 });
    expect(task!.input).toMatchObject({ step: 'activation1', error: 'activation system unavailable' });

    activation.down.delete(o.orderId);
    await o.handle.executeUpdate(taskActionUpdate, {
      args: [{ taskId: task!.id, action: 'complete', actor: operator, outcome: { action: 'retry' } }],
    });
    const after = await o.until((s) => s.milestones.activation1.status === 'done' && s.state === 'inProgress');
    expect(after.waitingFor).toContain('acceptance1');
  });
});
