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
import {
  milestoneAt,
  milestoneNames,
  type MilestoneName,
  type MilestoneRecord,
  type Milestones,
  type OrderState,
} from '../domain/vocabulary.js';
import { createInbox, refuse, refuseStrangeEntry } from './inbox.js';
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
  type OrderWorkflowState,
  type PlanStep,
  type RfbState,
  type SubmitOrder,
} from './order.contract.js';
import { writesInOrder, writesWhereCalled } from './writes.js';
import { failureTypeOf, messageOf, policyFallout, StepFailed, type PolicyRows } from './fallout.js';
import type { FalloutCause, FalloutStep } from '../domain/fallout.js';

const dbRetry = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;
const remote = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: dbRetry });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', localRetryThreshold: '10 seconds', retry: dbRetry });
const { compensateOrder } = remote;

/**
 * Calls to an external system retry for a time, then go to fallout. By time, not by a count of
 * attempts: an attempt whose worker died (noticed by its heartbeat within 5 s) is retried at
 * once, and a few worker kills must not spend a budget meant for a system that keeps failing.
 * Each attempt may take 10 minutes, to ride out a database blip inside it (activities/database.ts).
 * Their activities beat every second (activities/heartbeat.ts); the worker sends one at most
 * every 2 s (runtime/worker.ts), so 5 s is two missed beats and then some.
 */
const externalCall = (nonRetryableErrorTypes: string[]): ActivityOptions => ({
  startToCloseTimeout: '10 minutes',
  scheduleToCloseTimeout: '15 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes },
});
/** Activation retries a while (the activation system may be briefly down), then goes to fallout. */
const activation = externalCall(['ActivationRejected']);
/** Before patched('order-side-effects-settle'): a cancel left a running activation behind. */
const abandonedOnCancel = proxyActivities<Activities>(activation);
/**
 * A cancel reaches a running activation through its heartbeat; the workflow waits until the
 * attempt has settled (the calls it sent answered and recorded) before it compensates.
 */
const settledOnCancel = proxyActivities<Activities>({
  ...activation,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Billing calls and compensation retry a while, then go to fallout (BILLING_UNAVAILABLE,
 * COMPENSATION_FAILED) instead of retrying forever behind a live-looking order. They heartbeat,
 * so a worker dying under them is noticed in seconds, not after the 10 minutes.
 */
const bounded = (nonRetryableErrorTypes: string[]) => proxyActivities<Activities>(externalCall(nonRetryableErrorTypes));
const billingCall = bounded(['BillingRejected']);
const compensation = bounded(['ActivationRejected', 'BillingRejected']);

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
      await o.setState('inProgress', true);
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
    // The 24 h watch ends before compensation, so no deadline task opens on an order being undone.
    if (o.policies) deadlineScope.cancel();
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
  /**
   * What a failed step does is read from the fallout policy table as the step starts; waits
   * for acceptance and billing end; compensation and phase 1's deadline go to fallout too.
   * Orders started before asked the fallout group about every failure and waited without end.
   */
  const policies = cancelsAsRequest && patched('order-fallout-policies');
  /**
   * A step's start writes its milestone and reads its fallout rows in one local activity, the
   * activation writes its own milestone done, and the deadline's rows come with the order's
   * record: six writes fewer per order. Orders started before wrote each on its own.
   */
  const stepsWriteMilestones = policies && patched('order-steps-write-milestones');
  /** With stepsWriteMilestones, an order state the next step's write carries (see `setState`). */
  let unwrittenState: OrderState | undefined;
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
  let recording: Promise<{ customerId: string; policies?: PolicyRows }> | undefined;
  let awaitedAcceptance: 1 | 2 | null = null;
  let decision: AcceptanceRequest | null = null;
  let cancelReason: string | null = null;
  let falloutCount = 0;
  /** When the waits on the customer and on billing remind or give up: support reads them in the state query. */
  const waitDeadlines: Omit<OrderWorkflowState['deadlines'], 'phase1'> = {};
  const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
  const provisioning = new CancellationScope();
  const inbox = createInbox({ subjectType: 'order', subjectId: orderId, workflowId, write, rows, handlerRows, answerWithView: !current });
  const fallout = policyFallout({ orderId, inbox });

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
    deadlines: {
      phase1: phase1Deadline,
      ...(awaitedAcceptance
        ? { acceptanceReminder: waitDeadlines.acceptanceReminder, acceptanceNoAnswer: waitDeadlines.acceptanceNoAnswer }
        : {}),
      ...(rfbs.some((r) => r.status === 'sent') ? { rfbNoAnswer: waitDeadlines.rfbNoAnswer } : {}),
    },
  }));

  setHandler(
    submitOrderUpdate,
    async (s) => {
      // A repeated submission (same Idempotency-Key or externalId, sent again or at the same
      // time) gets the first one's order; only the first is told it created it.
      const first = submission === undefined;
      submission ??= s;
      recording ??= write(() => handlerRows.recordOrder(submission!, milestones, stepsWriteMilestones ? 'deadline' : undefined));
      if (!current) return recording as never;
      return { orderId, customerId: (await recording).customerId, created: first };
    },
    {
      validator: (s) => refuseStrangeEntry('order', orderId, { ...s, id: s.orderId }, submission),
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

  /** The order's state still to write, if any, goes with this write. */
  function withUnwrittenState<U extends { state?: OrderState }>(u: U): U {
    const carried = { ...u, state: u.state ?? unwrittenState };
    unwrittenState = undefined;
    return carried;
  }

  async function updateOrder(u: { state?: OrderState; milestones?: Partial<Milestones> }) {
    await write(() => rows().updateOrder({ orderId, ...withUnwrittenState(u) }));
  }

  async function mark(name: MilestoneName, status: MilestoneRecord['status'], orderState?: OrderState, detail?: string) {
    milestones[name] = milestoneAt(milestones[name], status, new Date(), detail);
    if (orderState) state = orderState;
    await updateOrder({ state: orderState, milestones: { [name]: milestones[name] } });
  }

  /** `carried`: written by the next step's write rather than one of its own (stepsWriteMilestones). */
  async function setState(next: OrderState, carried = false) {
    state = next;
    if (carried && stepsWriteMilestones) unwrittenState = next;
    else await updateOrder({ state: next });
  }

  /**
   * A step's fallout rows, read as it starts; with stepsWriteMilestones together with its
   * milestone (`started`: the status it shows from now on) and any state still to write. Not
   * async: an extra await here would move when later activities are scheduled in older histories.
   */
  function beginStep(falloutStep: FalloutStep, name: MilestoneName, started?: MilestoneRecord['status']): Promise<PolicyRows> {
    if (!stepsWriteMilestones) return policiesFor(falloutStep);
    if (started) milestones[name] = milestoneAt(milestones[name], started, new Date());
    const shown: { state?: OrderState; milestones?: Partial<Milestones> } = started ? { milestones: { [name]: milestones[name] } } : {};
    return write(() => local.beginStep({ orderId, step: falloutStep, ...withUnwrittenState(shown) }));
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

  /**
   * A step under the fallout table: its rows are read as it starts; a skip is recorded with why
   * (and what `onSkip` did about it), an abort or a cancel in fallout cancels the order.
   */
  async function runStep(
    name: MilestoneName,
    falloutStep: FalloutStep,
    otherwise: FalloutCause,
    attempt: (n: number, lastCode: FalloutCause | null) => Promise<void>,
    onSkip?: (reason: string) => Promise<string>,
    started?: MilestoneRecord['status'],
  ) {
    if (!policies) return withFallout(name, (n) => attempt(n, null));
    const ended = await fallout.settle({
      name,
      step: falloutStep,
      policies: await beginStep(falloutStep, name, started),
      otherwise,
      attempt,
      show: async (where, waitsForPeople) => {
        step = where ?? name;
        if (waitsForPeople) await setState('held');
        else if (where === undefined && state === 'held') await setState('inProgress');
      },
    });
    if (ended.end === 'cancel') throw new OrderCancelled(ended.reason);
    if (ended.end === 'skip') await mark(name, 'skipped', undefined, onSkip ? await onSkip(ended.reason) : ended.reason);
  }

  /**
   * A step's rows of the fallout table, read as it starts. Through the write queue like every
   * other local activity: one running beside a handler's write would record their markers in an
   * order that replay does not repeat.
   */
  const policiesFor = (falloutStep: FalloutStep) => write(() => local.falloutPoliciesFor({ step: falloutStep }));

  const phase1Settled = () =>
    (['activation1', 'rfb1'] as const).every((m) => ['done', 'notApplicable', 'skipped'].includes(milestones[m].status));

  async function recordPhase1Missed(round: number) {
    const missed = (['activation1', 'rfb1'] as const).filter((m) => !['done', 'notApplicable', 'skipped'].includes(milestones[m].status));
    for (const m of missed) milestones[m].deadlineMissed = true;
    await updateOrder({ milestones: Object.fromEntries(missed.map((m) => [m, milestones[m]])) });
    await write(() =>
      rows().notify({
        id: `${orderId}:deadline:phase1${round > 1 ? `.${round}` : ''}`,
        kind: 'deadlineMissed',
        recipient: 'group:fallout',
        subjectType: 'order',
        subjectId: orderId,
        message: `Order ${orderId}: ${missed.join(' and ')} not done within 24 h of submission`,
      }),
    );
    return missed;
  }

  /**
   * Phase 1's 24 h under the fallout table: a miss is recorded and told, and (by default) a task
   * asks the fallout group while the order keeps waiting; the task goes once phase 1 is done.
   * Retry gives phase 1 the same time again, skip stops watching, cancel cancels the order.
   */
  async function watchPhase1ByPolicy() {
    const ended = await fallout.settle({
      name: 'phase 1 deadline',
      step: 'deadline',
      policies: (stepsWriteMilestones ? (await recording!).policies : undefined) ?? (await policiesFor('deadline')),
      otherwise: 'DEADLINE_MISSED',
      show: async () => {},
      attempt: async (round) => {
        if (await condition(phase1Settled, settings.phase1DeadlineMs)) return;
        const missed = await recordPhase1Missed(round);
        throw new StepFailed('DEADLINE_MISSED', `${missed.join(' and ')} not done within 24 h of submission`, phase1Settled);
      },
    });
    if (ended.end === 'cancel') {
      cancelReason ??= ended.reason;
      provisioning.cancel();
    }
  }

  return {
    current,
    policies,
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
      await runStep(
        name,
        'activation',
        'ACTIVATION_FAILED',
        async () => {
          const milestone = stepsWriteMilestones ? { name, record: milestones[name] } : undefined;
          const missedBefore = milestones[name].deadlineMissed;
          let activated: { milestone?: MilestoneRecord };
          try {
            activated = await activatePhase({ orderId, phase, steps, ...(milestone ? { milestone } : {}) });
          } catch (err) {
            if (policies && failureTypeOf(err) === 'ActivationRejected') throw new StepFailed('ACTIVATION_REJECTED', messageOf(err));
            throw err;
          }
          if (!activated.milestone) {
            // Awaited, not returned: returning the promise would add ticks the older histories do not have.
            await mark(name, 'done');
            return;
          }
          milestones[name] = {
            ...activated.milestone,
            deadlineMissed: milestones[name].deadlineMissed ?? activated.milestone.deadlineMissed,
          };
          // The 24 h watch wrote this milestone (missed, in progress) while the activity ran: its
          // write may have landed after the activity's own, so done is written again, in order.
          if (milestones[name].deadlineMissed && !missedBefore) await updateOrder({ milestones: { [name]: milestones[name] } });
        },
        // Skipped: the services whose activation did not succeed stay notActivated.
        async (reason) => {
          const notActivated = await write(() => rows().recordSkippedActivation({ orderId, steps }));
          return `${reason}; not activated: ${notActivated.join(', ') || 'none'}`;
        },
        'inProgress',
      );
    },

    async acceptance(phase: 1 | 2, customerId: string) {
      const name = `acceptance${phase}` as const;
      step = name;
      await runStep(
        name,
        'acceptance',
        'NO_ANSWER',
        async (n, lastCode) => {
          // After a wait that ran out, an answer that came while the fallout group looked is kept.
          if (lastCode !== 'NO_ANSWER') decision = null;
          if (decision === null) {
            awaitedAcceptance = phase;
            // The step's start wrote it (stepsWriteMilestones); later rounds write it again.
            if (!stepsWriteMilestones || n > 1) await mark(name, 'inProgress');
          }
          waitDeadlines.acceptanceReminder = inMs(settings.acceptanceReminderMs);
          waitDeadlines.acceptanceNoAnswer = policies ? inMs(settings.acceptanceWaitMs) : undefined;
          if (!(await condition(() => decision !== null, settings.acceptanceReminderMs))) {
            await write(() =>
              rows().notify({
                id: `${orderId}:reminder:acceptance${phase}${policies && n > 1 ? `.${n}` : ''}`,
                kind: 'acceptanceReminder',
                recipient: `customer:${customerId}`,
                subjectType: 'order',
                subjectId: orderId,
                message: `Order ${orderId} is waiting for your acceptance of phase ${phase}`,
              }),
            );
            waitDeadlines.acceptanceNoAnswer = policies ? inMs(settings.acceptanceWaitMs - settings.acceptanceReminderMs) : undefined;
            if (!policies) await condition(() => decision !== null);
            else if (!(await condition(() => decision !== null, settings.acceptanceWaitMs - settings.acceptanceReminderMs))) {
              const hours = settings.acceptanceWaitMs / 3600_000;
              throw new StepFailed(
                'NO_ANSWER',
                `no decision from the customer on phase ${phase} within ${hours} h`,
                () => decision !== null,
              );
            }
          }
          if (decision!.decision === 'rejected') {
            const why = `customer rejected acceptance ${phase}${decision!.comment ? `: ${decision!.comment}` : ''}`;
            throw policies ? new StepFailed('REJECTED', why) : ApplicationFailure.nonRetryable(why);
          }
        },
        // Skipped: the customer's answer is no longer awaited.
        async (reason) => {
          awaitedAcceptance = null;
          return reason;
        },
        'inProgress',
      );
    },

    async readyForBilling(phase: 1 | 2) {
      const name = `rfb${phase}` as const;
      step = name;
      const latest = () => rfbs.filter((r) => r.phase === phase).at(-1);
      const send = async (rfb: RfbState) => {
        try {
          return await sideEffect(() =>
            (policies ? billingCall : remote).sendReadyForBilling({ orderId, phase, rfbId: rfb.id, milestone: milestones[name] }),
          );
        } catch (err) {
          if (!policies || isCancellation(err)) throw err;
          if (failureTypeOf(err) !== 'BillingRejected') throw new StepFailed('BILLING_UNAVAILABLE', messageOf(err));
          // Refused on the send (a 4xx): the RFB is rejected, as if billing had answered so.
          rfb.status = 'rejected';
          const reason = `billing refused the send: ${messageOf(err)}`;
          milestones[name] = await write(() => rows().recordRfbAcknowledgement({ orderId, rfbId: rfb.id, status: 'rejected', reason }));
          throw new StepFailed('REJECTED', reason);
        }
      };
      await runStep(
        name,
        'rfb',
        'BILLING_UNAVAILABLE',
        async (attempt, lastCode) => {
          // Unanswered or not delivered: the same RFB again (billing takes it once); rejected: a new one.
          const again = lastCode === 'NO_ANSWER' || lastCode === 'BILLING_UNAVAILABLE' ? latest() : undefined;
          const count = rfbs.filter((r) => r.phase === phase).length;
          const suffix = policies ? (count > 0 ? `.${count + 1}` : '') : attempt > 1 ? `.${attempt}` : '';
          const rfb: RfbState = again ?? { id: `${orderId}:rfb:${phase}${suffix}`, phase, status: 'sent' };
          // Known before the send, so billing's answer is taken however quickly it comes (between
          // the order-writes-in-order and order-side-effects-settle patches it was known only after).
          const knownBeforeSend = !current || settles;
          if (knownBeforeSend && !again) rfbs.push(rfb);
          // An answer that came while the fallout group looked needs no resend.
          if (rfb.status === 'sent') {
            // Billing's wait starts once the RFB is delivered; until then no earlier RFB's deadline shows.
            waitDeadlines.rfbNoAnswer = undefined;
            const sent = await send(rfb);
            if (!knownBeforeSend) rfbs.push(rfb);
            // An answer that came while the send was still returning keeps its record.
            if (!settles || rfb.status === 'sent') milestones[name] = sent;
          }
          waitDeadlines.rfbNoAnswer = policies ? inMs(settings.rfbAcknowledgementWaitMs) : undefined;
          if (!policies) await condition(() => rfb.status !== 'sent');
          else if (!(await condition(() => rfb.status !== 'sent', settings.rfbAcknowledgementWaitMs))) {
            const hours = settings.rfbAcknowledgementWaitMs / 3600_000;
            throw new StepFailed('NO_ANSWER', `billing did not acknowledge ${rfb.id} within ${hours} h`, () => rfb.status !== 'sent');
          }
          if (rfb.status === 'rejected') {
            if (policies) throw new StepFailed('REJECTED', `billing rejected ${rfb.id}`);
            throw ApplicationFailure.nonRetryable(`billing rejected ${rfb.id}`);
          }
        },
        // Skipped: billing withdraws the RFB it holds unanswered, so nothing bills this phase.
        async (reason) => {
          const open = latest();
          if (open?.status !== 'sent') return `billing not started for phase ${phase}: ${reason}`;
          open.status = 'withdrawn';
          const withdrawal = await fallout.settle({
            name: `withdrawal of ${open.id}`,
            step: 'rfb',
            policies: await policiesFor('rfb'),
            otherwise: 'BILLING_UNAVAILABLE',
            show: async (where) => void (step = where ?? name),
            attempt: () => sideEffect(() => billingCall.withdrawReadyForBilling({ orderId, rfbId: open.id, reason })),
          });
          if (withdrawal.end === 'cancel') throw new OrderCancelled(withdrawal.reason);
          const told = withdrawal.end === 'done' ? `${open.id} withdrawn` : `withdrawal of ${open.id} not confirmed (${withdrawal.reason})`;
          return `billing not started for phase ${phase}: ${reason}; ${told}`;
        },
      );
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
      if (policies) return watchPhase1ByPolicy();
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
      const reason = cancelReason ?? failure;
      const undo = () => CancellationScope.nonCancellable(() => compensateOrder({ orderId, reason }));
      if (cancelRequested) await write(() => rows().recordCancellation({ orderId, state: 'inProgress' }));
      if (policies) {
        // A compensation that keeps failing goes to fallout: retried by rule, then people decide.
        const undone = await fallout.settle({
          name: 'compensation',
          step: 'deactivation',
          policies: await policiesFor('deactivation'),
          otherwise: 'COMPENSATION_FAILED',
          show: async (where) => void (step = where ?? 'cancelled'),
          attempt: () => write(() => CancellationScope.nonCancellable(() => compensation.compensateOrder({ orderId, reason }))),
        });
        if (undone.end !== 'done') {
          // Given up in fallout: what is left is undone by hand, and the cancel request says so.
          await write(() => rows().recordCompensationGivenUp({ orderId, reason }));
          state = 'cancelled';
          if (cancelRequested)
            await write(() => rows().recordCancellation({ orderId, state: 'terminatedWithError', error: undone.reason }));
          return;
        }
        state = 'cancelled';
        if (cancelRequested) await write(() => rows().recordCancellation({ orderId, state: 'done' }));
        return;
      }
      await (settles ? write(undo) : undo());
      state = 'cancelled';
      if (cancelRequested) await write(() => rows().recordCancellation({ orderId, state: 'done' }));
    },
  };
}

function rejectUnless(verdict: { ok: true } | { ok: false; code: string; message: string }): void {
  if (!verdict.ok) refuse(verdict.code, verdict.message);
}
