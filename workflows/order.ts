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
import type { OrderState } from '../db/schema.js';
import type { OrderView } from '../db/views.js';
import { applyTaskAction, taskActionUpdate, type TaskKind, type TaskState } from './inbox.contract.js';
import {
  acceptanceUpdate,
  milestoneNames,
  orderStateQuery,
  cancelOrderUpdate,
  defaultOrderSettings,
  rfbAcknowledgementUpdate,
  submitOrderUpdate,
  type AcceptanceRequest,
  type MilestoneName,
  type Milestones,
  type OrderSettings,
  type PlanStep,
  type RfbState,
  type SubmitOrder,
} from './order.contract.js';

const dbRetry = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;
const remote = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: dbRetry });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', localRetryThreshold: '10 seconds', retry: dbRetry });
const { recordOrder, recordAcceptance, sendReadyForBilling, recordRfbAcknowledgement, recordTaskAction, compensateOrder } = remote;

/**
 * The main flow's own database writes (milestones, new tasks, notifications) run as local
 * activities: one worker round trip instead of three server ones. Update handlers keep normal
 * activities: with local ones there, replay of SDK 1.24 reorders the update's completion.
 * Histories from before the change ran these as normal activities, hence the patch.
 */
const writes = () => (patched('order-main-flow-writes-local') ? local : remote);
const updateOrder: Activities['updateOrder'] = (...a) => writes().updateOrder(...a);
const openTask: Activities['openTask'] = (...a) => writes().openTask(...a);
const notify: Activities['notify'] = (...a) => writes().notify(...a);
const completeOrder: Activities['completeOrder'] = (...a) => writes().completeOrder(...a);

/** Activation retries a while (the activation system may be briefly down), then goes to fallout. */
const { activatePhase } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: ['ActivationRejected'] },
});

const hour = 3600_000;

class OrderCancelled extends Error {}

export async function order(settings: OrderSettings = defaultOrderSettings): Promise<OrderState> {
  const orderId = workflowInfo().workflowId.replace(/^order-/, '');
  const submittedAt = Date.now();
  const phase1Deadline = new Date(submittedAt + settings.phase1DeadlineMs).toISOString();

  let submitted: SubmitOrder | undefined;
  let recording: Promise<OrderView> | undefined;
  let state: OrderState = 'acknowledged';
  let step = 'entry';
  const milestones = Object.fromEntries(milestoneNames.map((m) => [m, { status: 'pending', at: null }])) as Milestones;
  milestones.activation1.deadline = milestones.rfb1.deadline = phase1Deadline;
  const tasks = new Map<string, TaskState & { outcome?: unknown }>();
  const rfbs: RfbState[] = [];
  let awaitedAcceptance: 1 | 2 | null = null;
  let decision: AcceptanceRequest | null = null;
  let cancelReason: string | null = null;
  const provisioning = new CancellationScope();

  setHandler(orderStateQuery, () => ({
    orderId,
    state,
    step,
    milestones,
    openTaskIds: [...tasks.values()].filter((t) => t.status === 'opened' || t.status === 'inProgress').map((t) => t.id),
    rfbs,
    waitingFor: [
      ...(awaitedAcceptance ? [`acceptance${awaitedAcceptance}`] : []),
      ...rfbs.filter((r) => r.status === 'sent').map((r) => `billing acknowledgement of ${r.id}`),
      ...[...tasks.values()].filter((t) => t.status === 'opened' || t.status === 'inProgress').map((t) => `task ${t.id}`),
    ],
    deadlines: { phase1: phase1Deadline },
  }));

  setHandler(
    submitOrderUpdate,
    async (s) => {
      // A repeated submission (same Idempotency-Key) gets the first one's answer.
      submitted ??= s;
      recording ??= recordOrder(submitted, milestones);
      return recording;
    },
    { validator: (s) => void (s.orderId !== orderId && refuse('VALIDATION_FAILED', `order id ${s.orderId} does not match workflow ${orderId}`)) },
  );

  setHandler(
    acceptanceUpdate,
    async (a) => {
      awaitedAcceptance = null;
      milestones[`acceptance${a.phase}`] = await recordAcceptance({ orderId, phase: a.phase, decision: a.decision, comment: a.comment ?? null, actor: a.actor });
      decision = a;
      return { phase: a.phase, decision: a.decision };
    },
    {
      validator: (a) =>
        void (awaitedAcceptance !== a.phase &&
          refuse('ACCEPTANCE_NOT_EXPECTED', awaitedAcceptance ? `The order awaits acceptance ${awaitedAcceptance}, not ${a.phase}` : `The order is not awaiting a customer acceptance`)),
    },
  );

  setHandler(
    cancelOrderUpdate,
    async ({ reason, actor }) => {
      cancelReason = `cancelled by ${actor}: ${reason}`;
      state = 'pendingCancellation';
      provisioning.cancel();
      await condition(() => state === 'cancelled');
      return { orderId, state };
    },
    {
      validator: (_request) =>
        void ((state === 'completed' || state === 'cancelled' || state === 'pendingCancellation' || cancelReason !== null) && refuse('ORDER_CLOSED', `Order ${orderId} is ${state}`)),
    },
  );

  setHandler(
    rfbAcknowledgementUpdate,
    async (ack) => {
      const rfb = rfbs.find((r) => r.id === ack.rfbId)!;
      if (rfb.status !== 'sent') return rfb; // a repeated acknowledgement
      milestones[`rfb${rfb.phase}` as MilestoneName] = await recordRfbAcknowledgement({ orderId, ...ack });
      rfb.status = ack.status;
      return rfb;
    },
    {
      validator: (ack) => {
        const rfb = rfbs.find((r) => r.id === ack.rfbId);
        if (!rfb) refuse('RFB_NOT_FOUND', `No RFB ${ack.rfbId} on order ${orderId}`);
        if (rfb.status === 'withdrawn') refuse('RFB_WITHDRAWN', `RFB ${ack.rfbId} was withdrawn`);
        if (rfb.status !== 'sent' && rfb.status !== ack.status) refuse('RFB_ALREADY_ACKNOWLEDGED', `RFB ${ack.rfbId} was already ${rfb.status}`);
      },
    },
  );

  setHandler(
    taskActionUpdate,
    async (request) => {
      // Checked again here: another update may have changed the task since validation.
      const task = tasks.get(request.taskId);
      const result = applyTaskAction(task, request);
      if (!result.ok) refuse(result.code, result.message);
      // Applied before the write, so a second action racing this one is refused by the check above;
      // the outcome goes with the status, as the main flow wakes on the status.
      Object.assign(task!, result.next, result.next.status === 'completed' ? { outcome: result.outcome } : {});
      const view = await recordTaskAction({
        taskId: request.taskId,
        ...result.next,
        outcome: result.outcome ?? null,
        event: { action: request.action, actor: request.actor.keyId, details: { toGroup: request.toGroup, toAssignee: request.toAssignee, message: request.message, outcome: result.outcome } },
      });
      return view;
    },
    {
      validator: (request) => {
        const result = applyTaskAction(tasks.get(request.taskId), request);
        if (!result.ok) refuse(result.code, result.message);
      },
    },
  );

  // ------------------------------------------------------------------ steps

  async function mark(name: MilestoneName, status: Milestones[MilestoneName]['status'], orderState?: OrderState) {
    milestones[name] = { ...milestones[name], status, at: new Date().toISOString() };
    if (milestones[name].deadline && status === 'done' && Date.now() > Date.parse(milestones[name].deadline!)) milestones[name].deadlineMissed = true;
    if (orderState) state = orderState;
    await updateOrder({ orderId, state: orderState, milestones: { [name]: milestones[name] } });
  }

  async function setState(next: OrderState) {
    state = next;
    await updateOrder({ orderId, state: next });
  }

  /** Opens a task and waits until it is completed; returns its outcome. */
  async function task(id: string, kind: TaskKind, group: string, title: string, input: Record<string, unknown>, due: { hours: number; priority: number }) {
    tasks.set(id, { id, kind, group, assignee: null, status: 'opened' });
    await openTask({
      id,
      kind,
      subjectType: 'order',
      subjectId: orderId,
      workflowId: workflowInfo().workflowId,
      group,
      title,
      priority: due.priority,
      dueAt: new Date(Date.now() + due.hours * hour).toISOString(),
      input,
    });
    await condition(() => tasks.get(id)!.status === 'completed');
    return tasks.get(id)!.outcome;
  }

  let falloutCount = 0;
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
        const outcome = (await task(`${orderId}:fallout:${++falloutCount}`, 'fallout', 'fallout', `Order ${orderId}: ${name} failed`, { step: name, error, attempt }, { hours: 4, priority: 1 })) as {
          action: 'retry' | 'skip' | 'cancel';
        };
        if (outcome.action === 'cancel') throw new OrderCancelled(`cancelled in fallout of ${name}`);
        await setState('inProgress');
        if (outcome.action === 'skip') return mark(name, 'skipped');
      }
    }
  }

  async function activation(phase: 1 | 2, steps: PlanStep[]) {
    const name = `activation${phase}` as const;
    if (steps.length === 0) return mark(name, 'notApplicable');
    step = name;
    await withFallout(name, async () => {
      await activatePhase({ orderId, phase, steps });
      await mark(name, 'done');
    });
  }

  async function acceptance(phase: 1 | 2) {
    const name = `acceptance${phase}` as const;
    step = name;
    await withFallout(name, async () => {
      decision = null;
      awaitedAcceptance = phase;
      await mark(name, 'inProgress');
      if (!(await condition(() => decision !== null, settings.acceptanceReminderMs))) {
        await notify({
          id: `${orderId}:reminder:acceptance${phase}`,
          kind: 'acceptanceReminder',
          recipient: `customer:${customerId}`,
          subjectType: 'order',
          subjectId: orderId,
          message: `Order ${orderId} is waiting for your acceptance of phase ${phase}`,
        });
        await condition(() => decision !== null);
      }
      if (decision!.decision === 'rejected') throw ApplicationFailure.nonRetryable(`customer rejected acceptance ${phase}${decision!.comment ? `: ${decision!.comment}` : ''}`);
    });
  }

  async function readyForBilling(phase: 1 | 2) {
    const name = `rfb${phase}` as const;
    step = name;
    await withFallout(name, async (attempt) => {
      const rfb: RfbState = { id: `${orderId}:rfb:${phase}${attempt > 1 ? `.${attempt}` : ''}`, phase, status: 'sent' };
      rfbs.push(rfb);
      milestones[name] = await sendReadyForBilling({ orderId, phase, rfbId: rfb.id, milestone: milestones[name] });
      await condition(() => rfb.status !== 'sent');
      if (rfb.status === 'rejected') throw ApplicationFailure.nonRetryable(`billing rejected ${rfb.id}`);
    });
  }

  async function manualTasks(steps: PlanStep[]) {
    if (steps.length === 0) return mark('manualTasks', 'notApplicable');
    await mark('manualTasks', 'inProgress');
    await Promise.all(
      steps.map((s) =>
        task(`${orderId}:task:${s.key}`, 'manualFulfilment', s.manualGroup!, `${s.name} for order ${orderId}`, { componentId: s.componentId, itemId: s.itemId, configuration: s.configuration }, { hours: 48, priority: 3 }),
      ),
    );
    await mark('manualTasks', 'done');
  }

  /** Seed 003: activation 1 and RFB 1 are due 24 h after submission; a miss is recorded and told. */
  async function watchPhase1Deadline() {
    await sleep(settings.phase1DeadlineMs);
    const missed = (['activation1', 'rfb1'] as const).filter((m) => milestones[m].status !== 'done' && milestones[m].status !== 'notApplicable');
    if (missed.length === 0) return;
    for (const m of missed) milestones[m].deadlineMissed = true;
    await updateOrder({ orderId, milestones: Object.fromEntries(missed.map((m) => [m, milestones[m]])) });
    await notify({
      id: `${orderId}:deadline:phase1`,
      kind: 'deadlineMissed',
      recipient: 'group:fallout',
      subjectType: 'order',
      subjectId: orderId,
      message: `Order ${orderId}: ${missed.join(' and ')} not done within 24 h of submission`,
    });
  }

  // ------------------------------------------------------------------ the process

  await condition(() => recording !== undefined);
  // The customer id is known once recorded: order entry may have just registered the customer.
  const { customerId } = await recording!;
  const plan = submitted!.plan;
  const phase = (f: PlanStep['fulfilment']) => plan.filter((s) => s.fulfilment === f);

  const deadlineScope = new CancellationScope();
  const deadlineWatch = deadlineScope.run(watchPhase1Deadline).catch((err) => {
    if (!isCancellation(err)) throw err;
  });
  try {
    await provisioning.run(async () => {
      await setState('inProgress');
      await Promise.all([
        (async () => {
          await activation(1, phase('auto-phase-1'));
          await acceptance(1);
          await readyForBilling(1);
        })(),
        manualTasks(phase('manual')),
      ]);
      await activation(2, phase('auto-phase-2'));
      await acceptance(2);
      await readyForBilling(2);
    });
    step = 'completed';
    state = 'completed';
    await completeOrder({ orderId });
  } catch (err) {
    const cancelled = err instanceof OrderCancelled || (isCancellation(err) && cancelReason !== null);
    if (!cancelled) throw err;
    awaitedAcceptance = null;
    step = 'cancelled';
    state = 'pendingCancellation';
    // Undo in reverse order: withdraw RFBs, cancel open tasks, deactivate what was activated.
    for (const r of rfbs) if (r.status === 'sent') r.status = 'withdrawn';
    for (const t of tasks.values()) if (t.status === 'opened' || t.status === 'inProgress') t.status = 'cancelled';
    // Compensation must run even though the provisioning scope was cancelled.
    await CancellationScope.nonCancellable(() => compensateOrder({ orderId, reason: cancelReason ?? (err as Error).message }));
    state = 'cancelled';
  } finally {
    deadlineScope.cancel();
    await deadlineWatch;
  }
  return state;
}

function refuse(code: string, message: string): never {
  throw ApplicationFailure.nonRetryable(message, code);
}
