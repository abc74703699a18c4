/**
 * An order from submission to billing (seed 003, 5.3.5, figure 23), interpreting the plan that
 * the catalogue gives for the ordered components:
 *
 *   activation 1 -> acceptance 1 -> RFB 1      (due within 24 h of submission)
 *   manual tasks                               (alongside phase 1)
 *   activation 2 -> acceptance 2 -> RFB 2      (after both of the above)
 *   services active, order completed
 *
 * A step that fails for good (activation, rejected acceptance, rejected RFB) goes to fallout: a
 * task for the fallout group whose outcome is retry, skip or cancel. Cancelling compensates what
 * was done, in reverse order.
 */
import {
  ActivityCancellationType,
  type ActivityOptions,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { milestoneNames, type MilestoneName, type MilestoneRecord, type Milestones, type OrderState } from '../domain/vocabulary.js';
import { createInbox, refuse } from './inbox.js';
import {
  acceptanceUpdate,
  acceptanceVerdict,
  cancelOrderUpdate,
  cancelVerdict,
  orderStateQuery,
  rfbAcknowledgementUpdate,
  rfbAcknowledgementVerdict,
  submitOrderUpdate,
  type AcceptanceRequest,
  type OrderInput,
  type OrderSettings,
  type OrderWorkflow,
  type PlanStep,
  type RfbState,
  type SubmitOrder,
} from './order.contract.js';
import { writesInOrder, writesWhereCalled } from './writes.js';

const dbRetry = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;
const remote = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: dbRetry });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', localRetryThreshold: '10 seconds', retry: dbRetry });
const { sendReadyForBilling, compensateOrder } = remote;

/** Activation retries a while (the activation system may be briefly down), then goes to fallout. */
const activation: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['ActivationRejected'],
  },
};
/** Before patched('order-side-effects-settle'): a cancel left a running activation behind. */
const abandonedOnCancel = proxyActivities<Activities>(activation);
/**
 * A cancel reaches a running activation through its heartbeat; the workflow waits until the
 * attempt has settled (the calls it sent answered and recorded) before it compensates.
 */
const settledOnCancel = proxyActivities<Activities>({
  ...activation,
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

class OrderCancelled extends Error {}

export async function order(input: OrderInput | OrderSettings): Promise<OrderState> {
  // Orders started before the input carried the order id passed the settings alone.
  const { orderId, settings } = 'orderId' in input ? input : { orderId: workflowInfo().workflowId.replace(/^order-/, ''), settings: input };
  const o = orderProcess(orderId, settings);
  const { customerId, plan } = await o.submitted();
  const phase = (f: PlanStep['fulfilment']) => plan.filter((s) => s.fulfilment === f);

  const deadlineScope = new CancellationScope();
  const deadlineWatch = deadlineScope.run(o.watchPhase1Deadline).catch((err) => {
    if (!isCancellation(err)) throw err;
  });
  try {
    await o.provisioning.run(async () => {
      await o.setState('inProgress');
      await Promise.all([
        (async () => {
          await o.activation(1, phase('auto-phase-1'));
          await o.acceptance(1, customerId);
          await o.readyForBilling(1);
        })(),
        o.manualTasks(phase('manual')),
      ]);
      await o.activation(2, phase('auto-phase-2'));
      // Phase 2 is accepted and billed only when it delivers something (README: "Order to bill").
      if (o.phase2Delivers(phase('auto-phase-2').length + phase('manual').length > 0)) {
        await o.acceptance(2, customerId);
        await o.readyForBilling(2);
      } else {
        await o.notApplicable('acceptance2', 'rfb2');
      }
    });
    await o.complete();
  } catch (err) {
    if (!(err instanceof OrderCancelled || (isCancellation(err) && o.cancelReason() !== null))) throw err;
    await o.compensate((err as Error).message);
  } finally {
    deadlineScope.cancel();
    await deadlineWatch;
  }
  if (o.current) await condition(allHandlersFinished);
  return o.state();
}
order satisfies OrderWorkflow;

/** The order's state, its handlers and its steps; `order()` above tells the story with them. */
function orderProcess(orderId: string, settings: OrderSettings) {
  /**
   * Orders started before this patch awaited their writes (remote activities) inside update
   * handlers and answered with whole read models; their histories replay through that branch.
   */
  const current = patched('order-writes-in-order');
  /**
   * Cancellation interrupts waits only: an activation or RFB send in flight settles first, so
   * compensation sees every call that was sent. Orders started before ran them cancellable.
   */
  const settles = current && patched('order-side-effects-settle');
  const { activatePhase } = settles ? settledOnCancel : abandonedOnCancel;
  /** Orders started before this patch asked for acceptance 2 and sent RFB 2 even with nothing in phase 2. */
  const skipsEmptyPhase2 = settles && patched('order-phase-2-only-when-delivered');
  /**
   * A cancel is a request (TMF622) the workflow records as it takes it and carries it out; its
   * update answers once taken. Orders started before answered only once cancelled.
   */
  const cancelsAsRequest = settles && patched('order-cancel-as-request');
  let cancelRequested = false;
  const sideEffect = <T>(send: () => Promise<T>): Promise<T> => (settles ? CancellationScope.nonCancellable(send) : send());
  // With the settle patch a queued write also survives a cancel that comes before it runs.
  const write = current ? writesInOrder({ survivesCancel: settles, refusedAfterCancel: cancelsAsRequest }) : writesWhereCalled;
  /** Which activities write the main flow's rows: local ones, except in the oldest histories. */
  const rows = () => (current || patched('order-main-flow-writes-local') ? local : remote);
  const handlerRows = current ? local : remote;
  const workflowId = workflowInfo().workflowId;
  const phase1Deadline = new Date(Date.now() + settings.phase1DeadlineMs).toISOString();

  let state: OrderState = 'acknowledged';
  let step = 'entry';
  const milestones = Object.fromEntries(milestoneNames.map((m) => [m, { status: 'pending', at: null }])) as Milestones;
  milestones.activation1.deadline = milestones.rfb1.deadline = phase1Deadline;
  const rfbs: RfbState[] = [];
  let submission: SubmitOrder | undefined;
  let recording: Promise<{ customerId: string }> | undefined;
  let awaitedAcceptance: 1 | 2 | null = null;
  let decision: AcceptanceRequest | null = null;
  let cancelReason: string | null = null;
  let falloutCount = 0;
  const provisioning = new CancellationScope();
  const inbox = createInbox({ subjectType: 'order', subjectId: orderId, workflowId, write, rows, handlerRows, answerWithView: !current });

  setHandler(orderStateQuery, () => ({
    orderId,
    state,
    step,
    milestones,
    openTaskIds: inbox.openTaskIds(),
    rfbs,
    waitingFor: [
      ...(awaitedAcceptance ? [`acceptance${awaitedAcceptance}`] : []),
      ...rfbs.filter((r) => r.status === 'sent').map((r) => `billing acknowledgement of ${r.id}`),
      ...inbox.openTaskIds().map((id) => `task ${id}`),
    ],
    deadlines: { phase1: phase1Deadline },
  }));

  setHandler(
    submitOrderUpdate,
    async (s) => {
      // A repeated submission (same Idempotency-Key or externalId, sent again or at the same
      // time) gets the first one's order; only the first is told it created it.
      const first = submission === undefined;
      submission ??= s;
      recording ??= write(() => handlerRows.recordOrder(submission!, milestones));
      if (!current) return recording as never;
      return { orderId, customerId: (await recording).customerId, created: first };
    },
    {
      validator: (s) =>
        void (s.orderId !== orderId && refuse('VALIDATION_FAILED', `order id ${s.orderId} does not match workflow ${orderId}`)),
    },
  );

  setHandler(
    acceptanceUpdate,
    async (a) => {
      awaitedAcceptance = null;
      milestones[`acceptance${a.phase}`] = await write(() =>
        handlerRows.recordAcceptance({ orderId, phase: a.phase, decision: a.decision, comment: a.comment ?? null, actor: a.actor }),
      );
      decision = a;
      return { phase: a.phase, decision: a.decision };
    },
    { validator: (a) => rejectUnless(acceptanceVerdict({ orderId, awaitedAcceptance }, a.phase)) },
  );

  setHandler(
    cancelOrderUpdate,
    async ({ reason, actor }) => {
      cancelReason = `cancelled by ${actor}: ${reason}`;
      state = 'pendingCancellation';
      provisioning.cancel();
      if (!cancelsAsRequest) {
        await condition(() => state === 'cancelled');
        return { orderId, state };
      }
      cancelRequested = true;
      await write(() => handlerRows.recordCancellation({ orderId, state: 'acknowledged', reason, requestedBy: actor }));
      return { orderId, state };
    },
    { validator: (_request) => rejectUnless(cancelVerdict({ orderId, state, cancelRequested: cancelReason !== null })) },
  );

  setHandler(
    rfbAcknowledgementUpdate,
    async (ack) => {
      const rfb = rfbs.find((r) => r.id === ack.rfbId)!;
      if (rfb.status !== 'sent') return rfb; // a repeated acknowledgement
      // Applied before the write, so a second answer racing this one is refused by the same rule.
      if (settles) rfb.status = ack.status;
      milestones[`rfb${rfb.phase}` as MilestoneName] = await write(() => handlerRows.recordRfbAcknowledgement({ orderId, ...ack }));
      rfb.status = ack.status;
      return { ...rfb };
    },
    {
      validator: (ack) =>
        rejectUnless(
          rfbAcknowledgementVerdict(
            rfbs.find((r) => r.id === ack.rfbId),
            ack,
          ),
        ),
    },
  );

  const configurationOf = (itemId: string) => submission!.items.find((i) => i.id === itemId)?.configuration ?? {};

  async function updateOrder(u: { state?: OrderState; milestones?: Partial<Milestones> }) {
    await write(() => rows().updateOrder({ orderId, ...u }));
  }

  async function mark(name: MilestoneName, status: MilestoneRecord['status'], orderState?: OrderState) {
    milestones[name] = { ...milestones[name], status, at: new Date().toISOString() };
    if (milestones[name].deadline && status === 'done' && Date.now() > Date.parse(milestones[name].deadline!))
      milestones[name].deadlineMissed = true;
    if (orderState) state = orderState;
    await updateOrder({ state: orderState, milestones: { [name]: milestones[name] } });
  }

  async function setState(next: OrderState) {
    state = next;
    await updateOrder({ state: next });
  }

  /** Runs a step; when it fails for good, the fallout group decides: retry, skip or cancel. */
  async function withFallout(name: MilestoneName, run: (attempt: number) => Promise<void>) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(attempt);
      } catch (err) {
        if (isCancellation(err)) throw err;
        const error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
        step = `fallout: ${name}`;
        await setState('held');
        const outcome = (await inbox.awaitTask({
          id: `${orderId}:fallout:${++falloutCount}`,
          kind: 'fallout',
          group: 'fallout',
          title: `Order ${orderId}: ${name} failed`,
          input: { step: name, error, attempt },
          due: { hours: 4, priority: 1 },
        })) as { action: 'retry' | 'skip' | 'cancel' };
        if (outcome.action === 'cancel') throw new OrderCancelled(`cancelled in fallout of ${name}`);
        await setState('inProgress');
        step = name;
        if (outcome.action === 'skip') return mark(name, 'skipped');
      }
    }
  }

  return {
    current,
    provisioning,
    phase2Delivers: (delivers: boolean) => delivers || !skipsEmptyPhase2,

    async notApplicable(...names: MilestoneName[]) {
      for (const name of names) await mark(name, 'notApplicable');
    },
    state: () => state,
    cancelReason: () => cancelReason,
    setState,

    /** Order entry's update records the order; the customer id is known only then (it may be new). */
    async submitted() {
      await condition(() => recording !== undefined);
      const { customerId } = await recording!;
      return { customerId, plan: submission!.plan };
    },

    async activation(phase: 1 | 2, steps: PlanStep[]) {
      const name = `activation${phase}` as const;
      if (steps.length === 0) return mark(name, 'notApplicable');
      step = name;
      await withFallout(name, async () => {
        await activatePhase({ orderId, phase, steps });
        await mark(name, 'done');
      });
    },

    async acceptance(phase: 1 | 2, customerId: string) {
      const name = `acceptance${phase}` as const;
      step = name;
      await withFallout(name, async () => {
        decision = null;
        awaitedAcceptance = phase;
        await mark(name, 'inProgress');
        if (!(await condition(() => decision !== null, settings.acceptanceReminderMs))) {
          await write(() =>
            rows().notify({
              id: `${orderId}:reminder:acceptance${phase}`,
              kind: 'acceptanceReminder',
              recipient: `customer:${customerId}`,
              subjectType: 'order',
              subjectId: orderId,
              message: `Order ${orderId} is waiting for your acceptance of phase ${phase}`,
            }),
          );
          await condition(() => decision !== null);
        }
        if (decision!.decision === 'rejected')
          throw ApplicationFailure.nonRetryable(
            `customer rejected acceptance ${phase}${decision!.comment ? `: ${decision!.comment}` : ''}`,
          );
      });
    },

    async readyForBilling(phase: 1 | 2) {
      const name = `rfb${phase}` as const;
      step = name;
      await withFallout(name, async (attempt) => {
        const rfb: RfbState = { id: `${orderId}:rfb:${phase}${attempt > 1 ? `.${attempt}` : ''}`, phase, status: 'sent' };
        // Known before the send, so billing's answer is taken however quickly it comes (between
        // the order-writes-in-order and order-side-effects-settle patches it was known only after).
        const knownBeforeSend = !current || settles;
        if (knownBeforeSend) rfbs.push(rfb);
        const sent = await sideEffect(() => sendReadyForBilling({ orderId, phase, rfbId: rfb.id, milestone: milestones[name] }));
        if (!knownBeforeSend) rfbs.push(rfb);
        // An answer that came while the send was still returning keeps its record.
        if (!settles || rfb.status === 'sent') milestones[name] = sent;
        await condition(() => rfb.status !== 'sent');
        if (rfb.status === 'rejected') throw ApplicationFailure.nonRetryable(`billing rejected ${rfb.id}`);
      });
    },

    async manualTasks(steps: PlanStep[]) {
      if (steps.length === 0) return mark('manualTasks', 'notApplicable');
      await mark('manualTasks', 'inProgress');
      await Promise.all(
        steps.map((s) =>
          inbox.awaitTask({
            id: `${orderId}:task:${s.key}`,
            kind: 'manualFulfilment',
            group: s.manualGroup!,
            title: `${s.name} for order ${orderId}`,
            input: { componentId: s.componentId, itemId: s.itemId, configuration: configurationOf(s.itemId) },
            due: { hours: 48, priority: 3 },
          }),
        ),
      );
      await mark('manualTasks', 'done');
    },

    /** Seed 003: activation 1 and RFB 1 are due 24 h after submission; a miss is recorded and told. */
    async watchPhase1Deadline() {
      await sleep(settings.phase1DeadlineMs);
      const missed = (['activation1', 'rfb1'] as const).filter(
        (m) => milestones[m].status !== 'done' && milestones[m].status !== 'notApplicable',
      );
      if (missed.length === 0) return;
      for (const m of missed) milestones[m].deadlineMissed = true;
      await updateOrder({ milestones: Object.fromEntries(missed.map((m) => [m, milestones[m]])) });
      await write(() =>
        rows().notify({
          id: `${orderId}:deadline:phase1`,
          kind: 'deadlineMissed',
          recipient: 'group:fallout',
          subjectType: 'order',
          subjectId: orderId,
          message: `Order ${orderId}: ${missed.join(' and ')} not done within 24 h of submission`,
        }),
      );
    },

    async complete() {
      step = 'completed';
      state = 'completed';
      await write(() => rows().completeOrder({ orderId }));
    },

    /** Undo in reverse order: withdraw RFBs, cancel open tasks, deactivate what was activated. */
    async compensate(failure: string) {
      awaitedAcceptance = null;
      step = 'cancelled';
      state = 'pendingCancellation';
      // Billing is told of both: a sent RFB is withdrawn, an accepted one has its cycle stopped.
      for (const r of rfbs) if (r.status === 'sent' || r.status === 'accepted') r.status = 'withdrawn';
      inbox.cancelOpen();
      // Compensation must run even though the provisioning scope was cancelled, and (with the
      // settle patch) after every write queued before it, so no late write undoes it.
      const undo = () => CancellationScope.nonCancellable(() => compensateOrder({ orderId, reason: cancelReason ?? failure }));
      if (cancelRequested) await write(() => rows().recordCancellation({ orderId, state: 'inProgress' }));
      await (settles ? write(undo) : undo());
      state = 'cancelled';
      if (cancelRequested) await write(() => rows().recordCancellation({ orderId, state: 'done' }));
    },
  };
}

function rejectUnless(verdict: { ok: true } | { ok: false; code: string; message: string }): void {
  if (!verdict.ok) refuse(verdict.code, verdict.message);
}
