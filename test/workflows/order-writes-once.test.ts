/**
 * An order write made again records nothing twice. A worker killed after a local activity wrote
 * its row, but before its workflow task was completed, leaves the write on the row and not in
 * history: the next worker runs that workflow task again, and so the write, at its own (later)
 * time. A remote activity whose answer was lost is run again likewise. Each is the same activity
 * of the same workflow run (its id is its sequence in the workflow), which is how the write knows
 * itself. `npm run chaos` found the repeated events this prevents.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { contacts, customers, orderEvents, productOrders } from '../../db/schema.js';
import { milestoneNames, type MilestoneRecord, type Milestones } from '../../domain/vocabulary.js';

let database: Database;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  database = await openDatabase({ url: inject('databaseUrl'), poolSize: 2, dataDir: '.data/test' });
  activities = createActivities({ db: database.db, activation: new ActivationSimulator(), billing: new PullBillingSystem() });
});
afterAll(() => database?.close());

async function anOrder(): Promise<string> {
  const id = `ORD-ONCE-${randomUUID().slice(0, 8)}`;
  const [contact] = await database.db.transaction(async (tx) => {
    await tx.insert(customers).values({ id: `CUST-${id}`, name: 'Once SL', taxId: id });
    return tx
      .insert(contacts)
      .values({ customerId: `CUST-${id}`, name: 'Ana', email: 'ana@once.example' })
      .returning();
  });
  await database.db.insert(productOrders).values({
    id,
    customerId: `CUST-${id}`,
    contactId: contact!.id,
    state: 'inProgress',
    currency: 'EUR',
    oneTimeCents: 0,
    recurringCents: 0,
    milestones: Object.fromEntries(milestoneNames.map((m) => [m, { status: 'pending', at: null }])) as Milestones,
    submittedAt: new Date(),
  });
  return id;
}

/** One run of an activity: a worker's, or the next worker's run of the same activity. */
const runOf = (orderId: string, activityId: string) =>
  new MockActivityEnvironment({ activityId, workflowExecution: { workflowId: `order-${orderId}`, runId: `run-of-${orderId}` } });

const eventsOf = async (orderId: string) =>
  database.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id));
const rowOf = async (orderId: string) => (await database.db.select().from(productOrders).where(eq(productOrders.id, orderId)))[0]!;

describe('an order write made again', () => {
  it('records its events once, and keeps the row as the first run wrote it', async () => {
    const orderId = await anOrder();
    const acceptance = { orderId, phase: 2, decision: 'accepted' as const, comment: null, actor: 'agent:k1' };
    const first = (await runOf(orderId, '17').run(activities.recordAcceptance, acceptance)) as MilestoneRecord;
    // The next worker, running the lost workflow task again, later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = (await runOf(orderId, '17').run(activities.recordAcceptance, acceptance)) as MilestoneRecord;
    expect(again.at).not.toBe(first.at);

    const events = await eventsOf(orderId);
    expect(events.map((e) => e.productOrder)).toEqual([{ id: orderId, milestone: { name: 'acceptance2', ...first } }]);
    expect(events[0]!.source).toBe(`run-of-${orderId}:17:0:0`);
    expect((await rowOf(orderId)).milestones.acceptance2).toEqual(first);
  });

  it('is told from a later write of the same run, which records its own', async () => {
    const orderId = await anOrder();
    const acceptance = { orderId, phase: 1, decision: 'accepted' as const, comment: null, actor: 'agent:k1' };
    await runOf(orderId, '5').run(activities.recordAcceptance, acceptance);
    // The same acceptance asked again after fallout: a later activity of the run.
    await runOf(orderId, '9').run(activities.recordAcceptance, acceptance);
    expect((await eventsOf(orderId)).map((e) => e.source)).toEqual([`run-of-${orderId}:5:0:0`, `run-of-${orderId}:9:0:0`]);
  });

  it('completes an order with one state event, however often it runs', async () => {
    const orderId = await anOrder();
    for (let i = 0; i < 3; i++) await runOf(orderId, '40').run(activities.completeOrder, { orderId });
    expect((await eventsOf(orderId)).map((e) => e.productOrder)).toEqual([{ id: orderId, state: 'completed' }]);
    expect((await rowOf(orderId)).state).toBe('completed');
  });

  it('with a state and milestones, records them all once', async () => {
    const orderId = await anOrder();
    const write = {
      orderId,
      state: 'held' as const,
      milestones: { rfb1: { status: 'inProgress' as const, at: '2026-11-23T10:00:00.000Z' } },
    };
    await runOf(orderId, '3').run(activities.updateOrder, write);
    await runOf(orderId, '3').run(activities.updateOrder, write);
    expect((await eventsOf(orderId)).map((e) => e.source)).toEqual([`run-of-${orderId}:3:0:0`, `run-of-${orderId}:3:0:1`]);
  });
});
