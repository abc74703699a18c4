import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { and, asc, desc, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { conflictIsFinal, whileDatabaseDown } from './database.js';
import { enterCustomerAndContact } from './customers.js';
import { heartbeating } from './heartbeat.js';
import {
  acceptanceDetail,
  cancellationIdFor,
  cancellationStates,
  milestoneAt,
  type CancellationState,
  type MilestoneName,
  type MilestoneRecord,
  type Milestones,
  type OrderState,
} from '../domain/vocabulary.js';
import {
  activations,
  cancelRequests,
  falloutPolicies,
  orderEvents,
  orderItems,
  productOrders,
  rfbs,
  serviceInstances,
  taskEvents,
  tasks,
} from '../db/schema.js';
import type { PlanStep, SubmitOrder } from '../domain/order-commands.js';
import type { FalloutPolicyRow, FalloutStep } from '../domain/fallout.js';
import type { ActivationResult, ActivationSystem } from './adapters/activation.js';
import type { BillingSystem } from './adapters/billing.js';

export const serviceIdFor = (orderId: string, step: PlanStep) => `${orderId}:svc:${step.key}`;

/** The order writes each activity run has made, by content: a write retried within the run keeps its place. */
const writesOfRun = new WeakMap<Context, string[]>();

/**
 * Names an order write by the activity run that makes it: the workflow run, the activity's id
 * (its sequence in the workflow: the same for every attempt, and when a workflow task lost with its
 * worker is run again by the next) and its place among the run's writes. Undefined outside an
 * activity (a test calling the function itself).
 */
function writeSource(write: unknown): string | undefined {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return undefined;
  }
  const run = context.info.workflowExecution?.runId;
  if (!run) return undefined;
  const made = writesOfRun.get(context) ?? [];
  writesOfRun.set(context, made);
  const content = JSON.stringify(write);
  if (!made.includes(content)) made.push(content);
  return `${run}:${context.info.activityId}:${made.indexOf(content)}`;
}

/**
 * Whether this write was made already, by an attempt whose answer was lost or by a workflow task
 * lost with its worker: made again it would repeat its events (and, run by the next worker, carry
 * a later time).
 */
async function madeAlready(tx: Db, source: string | undefined): Promise<boolean> {
  if (!source) return false;
  return (
    (
      await tx
        .select({ id: orderEvents.id })
        .from(orderEvents)
        .where(eq(orderEvents.source, `${source}:0`))
    ).length > 0
  );
}

/** The hub's outbox: what changed, in the transaction that changes it. */
async function recordOrderEvents(
  tx: Db,
  orderId: string,
  u: { state?: OrderState; milestones?: Partial<Record<MilestoneName, MilestoneRecord>> },
  source?: string,
) {
  const events: (typeof orderEvents.$inferInsert)[] = [
    ...(u.state ? [{ orderId, eventType: 'productOrderStateChangeEvent' as const, productOrder: { id: orderId, state: u.state } }] : []),
    ...Object.entries(u.milestones ?? {}).map(([name, milestone]) => ({
      orderId,
      eventType: 'productOrderMilestoneEvent' as const,
      productOrder: { id: orderId, milestone: { name, ...milestone } },
    })),
  ].map((event, i) => ({ ...event, source: source === undefined ? null : `${source}:${i}` }));
  if (events.length > 0) await tx.insert(orderEvents).values(events).onConflictDoNothing();
}

type StepPolicies = Pick<FalloutPolicyRow, 'id' | 'errorCode' | 'first' | 'second'>[];

function policiesOf(executor: Db, step: FalloutStep): Promise<StepPolicies> {
  return executor
    .select({ id: falloutPolicies.id, errorCode: falloutPolicies.errorCode, first: falloutPolicies.first, second: falloutPolicies.second })
    .from(falloutPolicies)
    .where(eq(falloutPolicies.step, step))
    .orderBy(asc(falloutPolicies.id)) as Promise<StepPolicies>;
}

export function orderActivities(db: Db, activation: ActivationSystem, billing: BillingSystem) {
  async function updateOrder(
    u: {
      orderId: string;
      state?: OrderState;
      milestones?: Partial<Record<MilestoneName, MilestoneRecord>>;
    },
    executor: Db = db,
  ): Promise<void> {
    const source = writeSource(u);
    const write = async (tx: Db) => {
      if (await madeAlready(tx, source)) return;
      await tx
        .update(productOrders)
        .set({
          ...(u.state ? { state: u.state } : {}),
          // Merge, so concurrent steps (phase 1 and manual tasks) never overwrite each other's milestones.
          ...(u.milestones ? { milestones: sql`${productOrders.milestones} || ${JSON.stringify(u.milestones)}::jsonb` } : {}),
          updatedAt: new Date(),
        })
        .where(eq(productOrders.id, u.orderId));
      await recordOrderEvents(tx, u.orderId, u, source);
    };
    await (executor === db ? db.transaction(write) : write(executor));
  }

  /** The order's rows in one transaction: customer (when new), contact, order, items, services. */
  function writeOrder(s: SubmitOrder, milestones: Milestones): Promise<{ customerId: string }> {
    return db.transaction(async (tx) => {
      const { customerId, contactId } = await enterCustomerAndContact(tx, s);
      const entered = await tx
        .insert(productOrders)
        .values({
          id: s.orderId,
          customerId,
          contactId,
          externalId: s.externalId,
          requestHash: s.requestHash,
          idempotencyKey: s.idempotencyKey ?? null,
          state: 'acknowledged',
          currency: s.currency,
          oneTimeCents: s.oneTimeCents,
          recurringCents: s.recurringCents,
          milestones,
          submittedAt: new Date(),
        })
        .onConflictDoNothing({ target: productOrders.id })
        .returning({ id: productOrders.id });
      if (entered.length > 0) await recordOrderEvents(tx, s.orderId, { state: 'acknowledged' });
      for (const item of s.items)
        await tx
          .insert(orderItems)
          .values({ ...item, orderId: s.orderId })
          .onConflictDoNothing();
      for (const step of s.plan) {
        await tx
          .insert(serviceInstances)
          .values({
            id: serviceIdFor(s.orderId, step),
            orderId: s.orderId,
            customerId,
            offeringId: step.offeringId,
            componentId: step.componentId,
            state: 'designed',
          })
          .onConflictDoNothing();
      }
      return { customerId };
    });
  }

  /**
   * A call to the activation system, recorded as sent before it goes and with its result after:
   * the audit of what was sent, which compensation undoes whatever the recorded outcome.
   */
  async function sendRecorded(row: Omit<typeof activations.$inferInsert, 'status'>, call: () => Promise<ActivationResult>) {
    // The id is ours, so an insert the database made but whose answer the outage lost is not made twice.
    const sent = { id: randomUUID() };
    await whileDatabaseDown(() =>
      db
        .insert(activations)
        .values({ ...row, id: sent.id, status: 'sent' })
        .onConflictDoNothing(),
    );
    try {
      const result = await call();
      await whileDatabaseDown(() => db.update(activations).set({ status: 'succeeded', result }).where(eq(activations.id, sent.id)));
      return result;
    } catch (err) {
      await whileDatabaseDown(() =>
        db
          .update(activations)
          .set({ status: 'failed', result: { error: (err as Error).message } })
          .where(eq(activations.id, sent.id)),
      );
      throw err;
    }
  }

  /**
   * Calls of these keys recorded as sent and never answered: the attempt that sent them stopped
   * (its worker died, or its time ran out). This attempt sends them again under the same keys (the
   * system takes each once), so they are settled as failed, saying why, rather than left `sent`
   * for ever. Only this call's keys: another phase's or step's rows are not this attempt's to settle.
   */
  async function settleLostCalls(orderId: string, action: 'activate' | 'deactivate', keys: string[], attempt: number) {
    if (keys.length === 0) return;
    await whileDatabaseDown(() =>
      db
        .update(activations)
        .set({
          status: 'failed',
          result: sql`jsonb_build_object('error', 'no answer recorded: the attempt ' || ${activations.attempt} || ' that sent it stopped; attempt ' || ${attempt}::int || ' sent it again')`,
        })
        .where(
          and(
            eq(activations.orderId, orderId),
            eq(activations.action, action),
            eq(activations.status, 'sent'),
            inArray(activations.idempotencyKey, keys),
          ),
        ),
    );
  }

  async function activate(p: { orderId: string; phase: 1 | 2; steps: PlanStep[] }, attempt: number): Promise<{ activated: number }> {
    const keys = p.steps.map((s) => `${p.orderId}:${s.key}:activate`);
    await settleLostCalls(p.orderId, 'activate', keys, attempt);
    // Configuration travels once per item (in the order's items), not with every plan step.
    const items = await whileDatabaseDown(() =>
      db.select({ id: orderItems.id, configuration: orderItems.configuration }).from(orderItems).where(eq(orderItems.orderId, p.orderId)),
    );
    const configurationOf = (step: PlanStep) => items.find((i) => i.id === step.itemId)?.configuration ?? {};
    const done = new Set(
      (
        await whileDatabaseDown(() =>
          db
            .select({ key: activations.idempotencyKey })
            .from(activations)
            .where(and(inArray(activations.idempotencyKey, keys), eq(activations.status, 'succeeded'))),
        )
      ).map((r) => r.key),
    );
    const results = await Promise.allSettled(
      p.steps.map(async (step, i) => {
        const idempotencyKey = keys[i]!;
        if (done.has(idempotencyKey)) return;
        const request = {
          idempotencyKey,
          orderId: p.orderId,
          serviceId: serviceIdFor(p.orderId, step),
          componentId: step.componentId,
          phase: p.phase,
          configuration: configurationOf(step),
        };
        await sendRecorded(
          { idempotencyKey, action: 'activate', orderId: p.orderId, componentId: step.componentId, phase: p.phase, attempt, request },
          () => activation.activate(request),
        );
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { activated: p.steps.length - done.size };
  }

  /**
   * Undoes, newest first, every activation that was sent for the order, whatever its recorded
   * status (an answer may have been lost); a deactivation done by an earlier attempt is not sent
   * again. Each is recorded like an activation.
   */
  async function deactivateSent(orderId: string, attempt: number) {
    const rows = await db.select().from(activations).where(eq(activations.orderId, orderId)).orderBy(desc(activations.createdAt));
    const done = new Set(rows.filter((r) => r.action === 'deactivate' && r.status === 'succeeded').map((r) => r.idempotencyKey));
    const sent = [...new Map(rows.filter((r) => r.action === 'activate').map((r) => [r.idempotencyKey, r])).values()];
    const toSend = sent.map((a) => a.idempotencyKey.replace(/:activate$/, ':deactivate')).filter((key) => !done.has(key));
    await settleLostCalls(orderId, 'deactivate', toSend, attempt);
    for (const a of sent) {
      const idempotencyKey = a.idempotencyKey.replace(/:activate$/, ':deactivate');
      if (done.has(idempotencyKey)) continue;
      const request = {
        idempotencyKey,
        activationKey: a.idempotencyKey,
        orderId,
        serviceId: (a.request as { serviceId: string }).serviceId,
        componentId: a.componentId,
      };
      await sendRecorded(
        { idempotencyKey, action: 'deactivate', orderId, componentId: a.componentId, phase: a.phase, attempt, request },
        () => activation.deactivate(request),
      );
    }
  }

  /**
   * Billing is told of every RFB the order withdraws, newest first: one it has not accepted is
   * withdrawn; one it accepted has its cycle stopped today, and the order records the end. Told
   * before the row changes, so a retry after a failed call tells billing again (idempotent there).
   */
  async function withdrawFromBilling(orderId: string, reason: string, today: string, only?: string) {
    const open = await db
      .select({ id: rfbs.id, status: rfbs.status })
      .from(rfbs)
      .where(and(eq(rfbs.orderId, orderId), inArray(rfbs.status, ['sent', 'accepted']), only ? eq(rfbs.id, only) : undefined))
      .orderBy(desc(rfbs.phase), desc(rfbs.sentAt));
    for (const rfb of open) {
      if (rfb.status === 'accepted') await billing.stopCycle({ rfbId: rfb.id, orderId, reason, endDate: today });
      else await billing.withdraw({ rfbId: rfb.id, orderId, reason });
      await db.transaction(async (tx) => {
        const cycleEndDate = rfb.status === 'accepted' ? today : null;
        await tx.update(rfbs).set({ status: 'withdrawn', reason, cycleEndDate }).where(eq(rfbs.id, rfb.id));
        if (cycleEndDate) await tx.update(productOrders).set({ billingEndDate: cycleEndDate }).where(eq(productOrders.id, orderId));
      });
    }
  }

  /** Cancels the order's open tasks, each with its audit event. */
  async function cancelOpenTasks(orderId: string, reason: string, now: Date) {
    const open = await db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.subjectType, 'order'), eq(tasks.subjectId, orderId), inArray(tasks.status, ['opened', 'inProgress'])));
    for (const t of open) {
      await db.transaction(async (tx) => {
        const [cancelled] = await tx
          .update(tasks)
          .set({ status: 'cancelled', version: sql`${tasks.version} + 1`, updatedAt: now })
          .where(and(eq(tasks.id, t.id), inArray(tasks.status, ['opened', 'inProgress'])))
          .returning({ version: tasks.version });
        if (cancelled) {
          await tx.insert(taskEvents).values({
            taskId: t.id,
            version: cancelled.version,
            action: 'cancel',
            actor: 'system',
            at: now,
            details: { reason },
          });
        }
      });
    }
  }

  /** RFBs withdrawn, open tasks cancelled, activations reversed, services terminated, order cancelled. */
  async function compensate(c: { orderId: string; reason: string }, attempt: number): Promise<void> {
    const now = new Date();
    await withdrawFromBilling(c.orderId, c.reason, now.toISOString().slice(0, 10));
    await cancelOpenTasks(c.orderId, c.reason, now);
    await deactivateSent(c.orderId, attempt);
    await closeCancelled(c.orderId, now);
  }

  /** The end of every cancellation, compensated or given up: services terminated, the order cancelled. */
  async function closeCancelled(orderId: string, now: Date) {
    const source = writeSource({ closeCancelled: orderId });
    await db.transaction(async (tx) => {
      if (await madeAlready(tx, source)) return;
      await tx.update(serviceInstances).set({ state: 'terminated', updatedAt: now }).where(eq(serviceInstances.orderId, orderId));
      await tx.update(productOrders).set({ state: 'cancelled', updatedAt: now }).where(eq(productOrders.id, orderId));
      await recordOrderEvents(tx, orderId, { state: 'cancelled' }, source);
    });
  }

  return {
    updateOrder,

    /**
     * Order entry: registers the customer order entry resolved (when new) and finds or enters the
     * contact, then writes the order. Idempotent; a conflict that a retry cannot cure (a unique
     * key taken by another order) fails for good instead of retrying forever.
     */
    async recordOrder(
      s: SubmitOrder,
      milestones: Milestones,
      /** The step that starts with the order (phase 1's deadline): its fallout rows come back with it. */
      policiesFor?: FalloutStep,
    ): Promise<{ customerId: string; policies?: StepPolicies }> {
      const recorded = await conflictIsFinal(() => writeOrder(s, milestones), `Order ${s.orderId}`, 'ORDER_CONFLICT');
      return policiesFor ? { ...recorded, policies: await policiesOf(db, policiesFor) } : recorded;
    },

    async recordAcceptance(a: {
      orderId: string;
      phase: number;
      decision: 'accepted' | 'rejected';
      comment: string | null;
      actor: string;
    }): Promise<MilestoneRecord> {
      const record: MilestoneRecord = {
        status: a.decision === 'accepted' ? 'done' : 'inProgress',
        at: new Date().toISOString(),
        detail: acceptanceDetail(a),
      };
      await updateOrder({ orderId: a.orderId, milestones: { [`acceptance${a.phase}` as MilestoneName]: record } });
      return record;
    },

    /**
     * Activates a phase's components. A component whose activation already succeeded (an earlier
     * attempt of this activity) is not sent again; the idempotency key covers the case where the
     * system activated but its answer was lost. It heartbeats, so a cancelled order reaches it:
     * the calls already sent still finish and are recorded, and the workflow waits for that.
     */
    async activatePhase(p: {
      orderId: string;
      phase: 1 | 2;
      steps: PlanStep[];
      /** The phase's milestone as the workflow holds it: written done here, saving the order a write of its own. */
      milestone?: { name: MilestoneName; record: MilestoneRecord };
    }): Promise<{ activated: number; milestone?: MilestoneRecord }> {
      // The milestone is written inside the heartbeats too: a database outage then costs no attempt.
      return heartbeating(async (context) => {
        const activated = await activate(p, context.info.attempt);
        if (!p.milestone) return activated;
        const record = milestoneAt(p.milestone.record, 'done', new Date());
        await whileDatabaseDown(() => updateOrder({ orderId: p.orderId, milestones: { [p.milestone!.name]: record } }));
        return { ...activated, milestone: record };
      });
    },

    /**
     * The order's cancel request as it goes: taken (acknowledged, and the order pending
     * cancellation), carried out (inProgress), finished (done). Idempotent; a state never goes back.
     */
    async recordCancellation(c: {
      orderId: string;
      state: CancellationState;
      reason?: string;
      requestedBy?: string;
      /** terminatedWithError: what was left undone. */
      error?: string;
    }): Promise<void> {
      const now = new Date();
      // States only move forward: this one overwrites the earlier ones, never a later one.
      const rank = cancellationStates.indexOf(c.state);
      await db.transaction(async (tx) => {
        await tx
          .insert(cancelRequests)
          .values({
            id: cancellationIdFor(c.orderId),
            orderId: c.orderId,
            reason: c.reason ?? '',
            requestedBy: c.requestedBy ?? 'system',
            state: c.state,
          })
          .onConflictDoNothing();
        await tx
          .update(cancelRequests)
          .set({
            state: c.state,
            updatedAt: now,
            ...(c.state === 'done' || c.state === 'terminatedWithError' ? { completedAt: now } : {}),
            ...(c.error ? { error: c.error } : {}),
          })
          .where(and(eq(cancelRequests.orderId, c.orderId), inArray(cancelRequests.state, cancellationStates.slice(0, rank))));
        if (c.state === 'acknowledged') {
          const pending = await tx
            .update(productOrders)
            .set({ state: 'pendingCancellation', updatedAt: now })
            .where(and(eq(productOrders.id, c.orderId), notInArray(productOrders.state, ['cancelled', 'completed', 'pendingCancellation'])))
            .returning({ id: productOrders.id });
          if (pending.length > 0) await recordOrderEvents(tx, c.orderId, { state: 'pendingCancellation' });
        }
      });
    },

    /** The order is done: its services are active, except those whose activation was skipped. */
    async completeOrder(c: { orderId: string }): Promise<void> {
      const now = new Date();
      const source = writeSource({ completeOrder: c.orderId });
      await db.transaction(async (tx) => {
        if (await madeAlready(tx, source)) return;
        await tx
          .update(serviceInstances)
          .set({ state: 'active', activatedAt: now, updatedAt: now })
          .where(and(eq(serviceInstances.orderId, c.orderId), ne(serviceInstances.state, 'notActivated')));
        await tx.update(productOrders).set({ state: 'completed', completedAt: now, updatedAt: now }).where(eq(productOrders.id, c.orderId));
        await recordOrderEvents(tx, c.orderId, { state: 'completed' }, source);
      });
    },

    /** The fallout table's rows for a step, read as the step starts: a change applies from the next step on. */
    async falloutPoliciesFor(q: { step: FalloutStep }): Promise<StepPolicies> {
      return policiesOf(db, q.step);
    },

    /**
     * A step starts: what it shows (its milestone, the order's state) is written and its rows of
     * the fallout table are read in one call, instead of one local activity for each.
     */
    async beginStep(b: {
      orderId: string;
      step: FalloutStep;
      state?: OrderState;
      milestones?: Partial<Milestones>;
    }): Promise<StepPolicies> {
      if (!b.state && !b.milestones) return policiesOf(db, b.step);
      return db.transaction(async (tx) => {
        await updateOrder(b, tx);
        return policiesOf(tx, b.step);
      });
    },

    /**
     * An activation skipped in fallout: each service of the phase whose activation did not
     * succeed is `notActivated`, and stays so when the order completes (the order view shows it).
     */
    async recordSkippedActivation(s: { orderId: string; steps: PlanStep[] }): Promise<string[]> {
      const succeeded = new Set(
        (
          await db
            .select({ key: activations.idempotencyKey })
            .from(activations)
            .where(and(eq(activations.orderId, s.orderId), eq(activations.action, 'activate'), eq(activations.status, 'succeeded')))
        ).map((r) => r.key),
      );
      const skipped = s.steps.filter((step) => !succeeded.has(`${s.orderId}:${step.key}:activate`));
      if (skipped.length > 0)
        await db
          .update(serviceInstances)
          .set({ state: 'notActivated', updatedAt: new Date() })
          .where(
            inArray(
              serviceInstances.id,
              skipped.map((step) => serviceIdFor(s.orderId, step)),
            ),
          );
      return skipped.map((step) => step.componentId);
    },

    /** An RFB skipped in fallout: billing is told to withdraw it (or stop its cycle), so nothing bills it. */
    async withdrawReadyForBilling(w: { orderId: string; rfbId: string; reason: string }): Promise<void> {
      await heartbeating(() => withdrawFromBilling(w.orderId, w.reason, new Date().toISOString().slice(0, 10), w.rfbId));
    },

    /**
     * Compensation given up in fallout (the fallout group undoes the rest by hand): the order is
     * cancelled, its services terminated and its open tasks cancelled; its cancel request ends
     * `terminatedWithError` saying why.
     */
    async recordCompensationGivenUp(c: { orderId: string; reason: string }): Promise<void> {
      const now = new Date();
      await cancelOpenTasks(c.orderId, c.reason, now);
      await closeCancelled(c.orderId, now);
    },

    /** Cancellation undoes in reverse: RFBs withdrawn, open tasks cancelled, activations reversed. */
    async compensateOrder(c: { orderId: string; reason: string }): Promise<void> {
      await heartbeating((context) => compensate(c, context.info.attempt));
    },
  };
}
