/**
 * Records the histories that test/replay replays (`npm run histories:record`, or
 * `npm run histories:record -- order-fallout-retry ...` for chosen recipes). Each recipe drives one
 * workflow to its end on a throw-away server and writes its history as Temporal's JSON. Record
 * again only on purpose: a changed history is what replay guards against.
 *
 * The order recipes cover every branch the order workflow has: completed, each fallout outcome
 * (retry, skip, cancel), cancelled by the customer mid-flow, and the missed phase-1 deadline;
 * and each fallout cause of the policy table: retries by rule that heal, a refused activation
 * skipped, unanswered acceptance and RFB, billing down, the deadline's task, a compensation
 * retried or given up, and an abort by policy.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { ensureTemporalBinaries, missingBinariesMessage, temporalCli, temporalTestServer } from '../../runtime/temporal-binaries.js';
import { freePort, startDevServer } from '../../runtime/temporal-server.js';
import { bundleWorkflows } from '../../runtime/worker.js';
import { createTestActivities } from './activities.js';
import { addNote, inspectionSubject, proceed } from './workflows.js';
import { ApplicationFailure } from '@temporalio/activity';
import { ActivationSimulator, type ActivationRequest, type DeactivationRequest } from '../../activities/adapters/activation.js';
import { PullBillingSystem, type ReadyForBilling } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { activations, falloutPolicies, notifications } from '../../db/schema.js';
import { seedCatalogue } from '../../db/seed/catalog.js';
import { taskActionUpdate } from '../../workflows/inbox.contract.js';
import { acceptanceUpdate, cancelOrderUpdate, defaultOrderSettings, rfbAcknowledgementUpdate } from '../../workflows/order.contract.js';
import { datahost } from '../../catalog/datahost.js';
import { datahostRequest, optionalOf, orderIdOf, startOrder } from './orders.js';
import { timeSkippingEnvironment } from './time-skipping.js';
import { startCase, ticketRequest } from './cases.js';
import { createScratchDatabase } from '../../db/scratch.js';
import { NotificationSimulator } from '../../activities/adapters/notification.js';
import { recordNoticeResponse } from '../../db/recalls.js';
import { seedParties } from '../../db/seed/parties.js';
import { driveRecall, startRecall, webSpaceRecall } from './recalls.js';

/** The activation system, down for the orders a recipe chooses: an outage that retries cannot cure. */
class ActivationOutage extends ActivationSimulator {
  readonly down = new Set<string>();
  /** Orders whose activations the system refuses (4xx), or whose deactivations. */
  readonly refusing = new Set<string>();
  readonly refusingDeactivation = new Set<string>();
  /** Orders for which the system answers only after this many ms. */
  readonly slow = new Map<string, number>();
  override async activate(r: ActivationRequest) {
    if (this.down.has(r.orderId)) throw new Error('activation system unavailable');
    if (this.refusing.has(r.orderId)) throw ApplicationFailure.nonRetryable(`unknown service ${r.serviceId} (422)`, 'ActivationRejected');
    await new Promise((resolve) => setTimeout(resolve, this.slow.get(r.orderId) ?? 0));
    return super.activate(r);
  }
  override async deactivate(r: DeactivationRequest) {
    if (this.refusingDeactivation.has(r.orderId)) throw ApplicationFailure.nonRetryable('deactivation refused (409)', 'ActivationRejected');
    return super.deactivate(r);
  }
}

/** Billing that reads RFBs from us (pull), down for the orders a recipe chooses. */
class BillingOutage extends PullBillingSystem {
  readonly down = new Set<string>();
  override async sendReadyForBilling(rfb?: ReadyForBilling) {
    if (rfb && this.down.has(rfb.orderId)) throw new Error('billing unavailable (503)');
  }
}

interface Recording {
  client: Client;
  taskQueue: string;
  database: Database;
  activation: ActivationOutage;
  billing: BillingOutage;
  notification: NotificationSimulator;
  /** Moves the time-skipping server's clock; only for recipes with `timeSkipping`. */
  sleep(ms: number): Promise<void>;
}

interface Recipe {
  file: string;
  workflowId: string;
  /** Runs on the time-skipping server: the recipe waits out a deadline or a retry back-off. */
  timeSkipping?: boolean;
  /** The run to record when not the latest (one that continued as new); the recipe sets it. */
  runId?: string;
  run(r: Recording): Promise<unknown>;
}

const operator = { keyId: 'recorder', role: 'admin', groups: [] };
const hours = (h: number) => h * 3600_000;

/**
 * Histories recorded by earlier versions of a workflow, kept so that replay proves each
 * `patched()` branch still takes them: the file and the workflow id it was recorded under.
 */
export const retiredHistories = [
  { file: 'order-completed-v1-remote-writes.json', workflowId: 'order-ORD-217BFA49C337F1A1' },
  // Before patched('order-writes-in-order'): handlers awaited remote writes and answered with read models.
  { file: 'order-completed-v2-handler-writes.json', workflowId: 'order-ORD-217BFA49C337F1A1' },
  { file: 'order-fallout-retry-v2-handler-writes.json', workflowId: 'order-ORD-7153236CF172DEF1' },
  { file: 'order-fallout-skip-v2-handler-writes.json', workflowId: 'order-ORD-790A5DB043428C82' },
  { file: 'order-fallout-cancel-v2-handler-writes.json', workflowId: 'order-ORD-356B8561308BB7F1' },
  { file: 'order-cancelled-midflow-v2-handler-writes.json', workflowId: 'order-ORD-BCEAB6A757C734F8' },
  { file: 'order-deadline-missed-v2-handler-writes.json', workflowId: 'order-ORD-8596B0202BF2E59C' },
  // Before patched('order-side-effects-settle'): a cancel abandoned a running activation or RFB send.
  { file: 'order-completed-v3-writes-in-order.json', workflowId: 'order-ORD-217BFA49C337F1A1' },
  { file: 'order-fallout-retry-v3-writes-in-order.json', workflowId: 'order-ORD-7153236CF172DEF1' },
  { file: 'order-fallout-skip-v3-writes-in-order.json', workflowId: 'order-ORD-790A5DB043428C82' },
  { file: 'order-fallout-cancel-v3-writes-in-order.json', workflowId: 'order-ORD-356B8561308BB7F1' },
  { file: 'order-cancelled-midflow-v3-writes-in-order.json', workflowId: 'order-ORD-BCEAB6A757C734F8' },
  { file: 'order-deadline-missed-v3-writes-in-order.json', workflowId: 'order-ORD-8596B0202BF2E59C' },
  // Before patched('order-phase-2-only-when-delivered'): acceptance 2 and RFB 2 ran for an empty phase 2.
  { file: 'order-completed-v4-side-effects-settle.json', workflowId: 'order-ORD-9AE1B6F2B15D9A45' },
  { file: 'order-fallout-retry-v4-side-effects-settle.json', workflowId: 'order-ORD-48E9E04CEC22B37E' },
  { file: 'order-fallout-skip-v4-side-effects-settle.json', workflowId: 'order-ORD-3F6DCD10F1AE6BD9' },
  { file: 'order-fallout-cancel-v4-side-effects-settle.json', workflowId: 'order-ORD-99644BE8DDB46D96' },
  { file: 'order-cancelled-midflow-v4-side-effects-settle.json', workflowId: 'order-ORD-3DC265783CEA9AD4' },
  { file: 'order-cancelled-mid-activation-v4-side-effects-settle.json', workflowId: 'order-ORD-AF2EA6CFF904907E' },
  { file: 'order-deadline-missed-v4-side-effects-settle.json', workflowId: 'order-ORD-EB5D71B044E00C86' },
  // Before patched('order-cancel-as-request'): the cancel update answered only once cancelled.
  { file: 'order-cancelled-midflow-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-3DC265783CEA9AD4' },
  { file: 'order-cancelled-mid-activation-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-AF2EA6CFF904907E' },
  // Before patched('order-fallout-policies'): every failure asked people; waits, compensation and the deadline had no fallout.
  { file: 'order-completed-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-9AE1B6F2B15D9A45' },
  { file: 'order-fallout-retry-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-48E9E04CEC22B37E' },
  { file: 'order-fallout-skip-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-3F6DCD10F1AE6BD9' },
  { file: 'order-fallout-cancel-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-99644BE8DDB46D96' },
  { file: 'order-deadline-missed-v5-phase-2-only-when-delivered.json', workflowId: 'order-ORD-EB5D71B044E00C86' },
  { file: 'order-cancelled-midflow-v6-cancel-as-request.json', workflowId: 'order-ORD-3DC265783CEA9AD4' },
  { file: 'order-cancelled-mid-activation-v6-cancel-as-request.json', workflowId: 'order-ORD-AF2EA6CFF904907E' }, // Before patched('order-steps-write-milestones'): each step's milestone and fallout rows were a write of their own.
  { file: 'order-completed-v7-fallout-policies.json', workflowId: 'order-ORD-9AE1B6F2B15D9A45' },
  { file: 'order-fallout-retry-v7-fallout-policies.json', workflowId: 'order-ORD-48E9E04CEC22B37E' },
  { file: 'order-fallout-skip-v7-fallout-policies.json', workflowId: 'order-ORD-3F6DCD10F1AE6BD9' },
  { file: 'order-fallout-cancel-v7-fallout-policies.json', workflowId: 'order-ORD-99644BE8DDB46D96' },
  { file: 'order-cancelled-midflow-v7-fallout-policies.json', workflowId: 'order-ORD-3DC265783CEA9AD4' },
  { file: 'order-cancelled-mid-activation-v7-fallout-policies.json', workflowId: 'order-ORD-AF2EA6CFF904907E' },
  { file: 'order-deadline-missed-v7-fallout-policies.json', workflowId: 'order-ORD-EB5D71B044E00C86' },
  { file: 'order-phase-2-after-rfb-1-v7-fallout-policies.json', workflowId: 'order-ORD-505C91722E96BB71' },
  { file: 'order-fallout-retry-by-rule-v7-fallout-policies.json', workflowId: 'order-ORD-A90F0A47D866D61F' },
  { file: 'order-activation-refused-skip-v7-fallout-policies.json', workflowId: 'order-ORD-456016A95173BA4F' },
  { file: 'order-acceptance-no-answer-v7-fallout-policies.json', workflowId: 'order-ORD-689978172E0513CF' },
  { file: 'order-rfb-no-answer-skip-v7-fallout-policies.json', workflowId: 'order-ORD-5D05C5FB6360AF5F' },
  { file: 'order-billing-down-retry-v7-fallout-policies.json', workflowId: 'order-ORD-3B59F02A67467EB8' },
  { file: 'order-deadline-cancel-v7-fallout-policies.json', workflowId: 'order-ORD-7A4DD4FFBA957F3F' },
  { file: 'order-compensation-fallout-retry-v7-fallout-policies.json', workflowId: 'order-ORD-582CB42CAD8F4B24' },
  { file: 'order-compensation-given-up-v7-fallout-policies.json', workflowId: 'order-ORD-2C51A3FECE2E9E6B' },
  { file: 'order-policy-abort-v7-fallout-policies.json', workflowId: 'order-ORD-FCF638AC7DD63944' },
];

/**
 * Starts an order whose id, and so its workflow id, follows from a fixed customer and externalId;
 * refuses to record under any other id than the recipe's, which replay passes to the workflow.
 */
async function startRecordedOrder(r: Recording, workflowId: string, taxId: string, externalId: string, components: string[]) {
  const request = { ...datahostRequest(components, taxId), externalId };
  const expected = `order-${await orderIdOf(r.database.db, request)}`;
  if (expected !== workflowId) throw new Error(`recipe's workflowId should be ${expected}`);
  return startOrder(r.client, r.database.db, r.taskQueue, request, defaultOrderSettings);
}
type RecordedOrder = Awaited<ReturnType<typeof startRecordedOrder>>;

async function accept(o: RecordedOrder, phase: 1 | 2) {
  await o.until((s) => s.waitingFor.includes(`acceptance${phase}`));
  await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase, decision: 'accepted', actor: 'customer' }] });
}

/**
 * The RFB of `phase` once it is really sent (its milestone inProgress). Billing answers only what
 * it received; the state lists an RFB before its row is written, and an acknowledgement that
 * early fails its first attempt.
 */
const rfbSent = (s: Awaited<ReturnType<RecordedOrder['state']>>, phase: 1 | 2) =>
  s.milestones[`rfb${phase}`].status === 'inProgress' ? s.rfbs.find((r) => r.phase === phase && r.status === 'sent') : undefined;

async function acknowledgeRfb(o: RecordedOrder, phase: 1 | 2, status: 'accepted' | 'rejected' = 'accepted') {
  const rfb = rfbSent(await o.until((s) => rfbSent(s, phase) !== undefined), phase)!;
  await o.handle.executeUpdate(rfbAcknowledgementUpdate, {
    args: [{ rfbId: rfb.id, status, ...(status === 'rejected' ? { reason: 'no billing account for the customer' } : {}) }],
  });
}

/** Waits for the order to be held in fallout (or, `at`, for that step's task) and completes the fallout task with `outcome`. */
async function decideFallout(o: RecordedOrder, outcome: { action: 'retry' | 'skip' | 'cancel'; reason?: string }, at?: string) {
  const held = await o.until((s) =>
    at ? s.step === `fallout: ${at}` : s.state === 'held' && s.openTaskIds.some((id) => id.includes(':fallout:')),
  );
  const taskId = held.openTaskIds.filter((id) => id.includes(':fallout:')).at(-1)!;
  await o.handle.executeUpdate(taskActionUpdate, { args: [{ taskId, action: 'complete', actor: operator, outcome }] });
}

/**
 * An order the customer cancels while its deactivations are refused: an hour later (the
 * policy's retries spent) its compensation waits in fallout.
 */
async function cancelledWithDeactivationRefused(r: Recording, workflowId: string, taxId: string, externalId: string) {
  const o = await startRecordedOrder(r, workflowId, taxId, externalId, []);
  await o.until((s) => s.waitingFor.includes('acceptance1'));
  r.activation.refusingDeactivation.add(o.orderId);
  await o.handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed plans', actor: 'customer' }] });
  await r.sleep(3600_000);
  await o.until((s) => s.step === 'fallout: compensation');
  return o;
}

/** An order with nothing for phase 2 and no manual task ends after RFB 1: no acceptance 2, no RFB 2. */
const finishWithoutPhase2 = (o: RecordedOrder) => o.handle.result();

export const recipes: Recipe[] = [
  {
    file: 'inspection-subject.json',
    workflowId: 'inspection-subject-recorded',
    async run({ client, taskQueue }) {
      const handle = await client.workflow.start(inspectionSubject, { workflowId: this.workflowId, taskQueue });
      await handle.executeUpdate(addNote, { args: ['recorded'] });
      await handle.signal(proceed, 'recorder');
      return handle.result();
    },
  },
  {
    // Every optional component: both activations, manual tasks, both acceptances and RFBs.
    file: 'order-completed.json',
    workflowId: 'order-ORD-9AE1B6F2B15D9A45',
    async run(r) {
      const o = await startRecordedOrder(
        r,
        this.workflowId,
        'REC-0001',
        'recorded-order',
        datahost.components.filter((c) => !c.mandatory).map((c) => c.id),
      );
      await o.until((s) => s.waitingFor.includes('acceptance1') && s.openTaskIds.length === 2);
      await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'accepted', actor: 'customer' }] });
      const s1 = await o.until((s) => rfbSent(s, 1) !== undefined);
      await o.handle.executeUpdate(rfbAcknowledgementUpdate, {
        args: [{ rfbId: s1.rfbs[0]!.id, status: 'accepted', billingAccountId: 'BA-REC' }],
      });
      for (const taskId of s1.openTaskIds) {
        await o.handle.executeUpdate(taskActionUpdate, { args: [{ taskId, action: 'start', actor: operator }] });
        await o.handle.executeUpdate(taskActionUpdate, {
          args: [{ taskId, action: 'complete', actor: operator, outcome: { done: true } }],
        });
      }
      await o.until((s) => s.waitingFor.includes('acceptance2'));
      await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 2, decision: 'accepted', actor: 'customer' }] });
      const s2 = await o.until((s) => rfbSent(s, 2) !== undefined);
      await o.handle.executeUpdate(rfbAcknowledgementUpdate, { args: [{ rfbId: s2.rfbs[1]!.id, status: 'accepted' }] });
      return o.handle.result();
    },
  },
  {
    // Activation 1 fails through all its retries (time skips the back-off); the fallout group
    // retries once the activation system is back, and the order completes.
    file: 'order-fallout-retry.json',
    workflowId: 'order-ORD-48E9E04CEC22B37E',
    timeSkipping: true,
    async run(r) {
      r.activation.down.add(this.workflowId.replace(/^order-/, ''));
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0002', 'recorded-fallout-retry', []);
      await r.sleep(hours(1));
      await o.until((s) => s.state === 'held' && s.step === 'fallout: activation1');
      r.activation.down.delete(o.orderId);
      await decideFallout(o, { action: 'retry' });
      await accept(o, 1);
      await acknowledgeRfb(o, 1);
      return finishWithoutPhase2(o);
    },
  },
  {
    // Billing rejects RFB 1; the fallout group skips it (billed by hand) and the order completes.
    file: 'order-fallout-skip.json',
    workflowId: 'order-ORD-3F6DCD10F1AE6BD9',
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0003', 'recorded-fallout-skip', []);
      await accept(o, 1);
      await acknowledgeRfb(o, 1, 'rejected');
      await decideFallout(o, { action: 'skip', reason: 'billed by hand: the customer has no billing account yet' });
      return finishWithoutPhase2(o);
    },
  },
  {
    // The customer rejects acceptance 1; the fallout group cancels: activation 1 is undone.
    file: 'order-fallout-cancel.json',
    workflowId: 'order-ORD-99644BE8DDB46D96',
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0004', 'recorded-fallout-cancel', []);
      await o.until((s) => s.waitingFor.includes('acceptance1'));
      await o.handle.executeUpdate(acceptanceUpdate, {
        args: [{ phase: 1, decision: 'rejected', comment: 'wrong domain', actor: 'customer' }],
      });
      await decideFallout(o, { action: 'cancel', reason: 'customer withdrew' });
      return o.handle.result();
    },
  },
  {
    // The customer cancels while RFB 1 awaits billing and both manual tasks are open (one
    // started): the RFB is withdrawn, the tasks cancelled, activation 1 undone.
    file: 'order-cancelled-midflow.json',
    workflowId: 'order-ORD-3DC265783CEA9AD4',
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0005', 'recorded-cancelled-midflow', optionalOf('manual'));
      await accept(o, 1);
      const s = await o.until((s) => rfbSent(s, 1) !== undefined && s.openTaskIds.length === 2);
      await o.handle.executeUpdate(taskActionUpdate, { args: [{ taskId: s.openTaskIds[0]!, action: 'start', actor: operator }] });
      await o.handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed provider', actor: 'customer' }] });
      return o.handle.result();
    },
  },
  {
    // The customer cancels while activation 1 is being answered by a slow activation system: the
    // activation settles first (recorded), then every component it sent is deactivated.
    file: 'order-cancelled-mid-activation.json',
    workflowId: 'order-ORD-AF2EA6CFF904907E',
    async run(r) {
      r.activation.slow.set(this.workflowId.replace(/^order-/, ''), 2_000);
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0007', 'recorded-cancelled-mid-activation', optionalOf('auto-phase-1'));
      const sent = async () =>
        (
          await r.database.db
            .select()
            .from(activations)
            .where(and(eq(activations.orderId, o.orderId), eq(activations.status, 'sent')))
        ).length;
      while ((await sent()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      await o.handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'ordered by mistake', actor: 'customer' }] });
      return o.handle.result();
    },
  },
  {
    // Seed 003's 24 h pass with acceptance 1 unanswered: the miss of RFB 1 is recorded and the
    // fallout group told; at 48 h the customer is reminded; then the order completes late.
    file: 'order-deadline-missed.json',
    workflowId: 'order-ORD-EB5D71B044E00C86',
    timeSkipping: true,
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0006', 'recorded-deadline-missed', []);
      await o.until((s) => s.waitingFor.includes('acceptance1'));
      await r.sleep(defaultOrderSettings.phase1DeadlineMs + 60_000);
      await o.until((s) => s.milestones.rfb1.deadlineMissed === true);
      await r.sleep(defaultOrderSettings.acceptanceReminderMs - defaultOrderSettings.phase1DeadlineMs);
      await reminded(r.database, o.orderId);
      await accept(o, 1);
      await acknowledgeRfb(o, 1);
      return finishWithoutPhase2(o);
    },
  },
  {
    // Phase 2 without manual tasks: billing's acknowledgement of RFB 1 starts activation 2 in
    // the same workflow task as the update's own write (recorded on the dev server, where that
    // interleaving happens as in production).
    file: 'order-phase-2-after-rfb-1.json',
    workflowId: 'order-ORD-505C91722E96BB71',
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0017', 'recorded-phase-2-after-rfb-1', optionalOf('auto-phase-2'));
      await accept(o, 1);
      await acknowledgeRfb(o, 1);
      await accept(o, 2);
      await acknowledgeRfb(o, 2);
      return o.handle.result();
    },
  },
  {
    // Activation 1 finds the activation system down through the activity's retries; the policy
    // retries it 15 minutes later, when the system is back: healed without a task.
    file: 'order-fallout-retry-by-rule.json',
    workflowId: 'order-ORD-A90F0A47D866D61F',
    timeSkipping: true,
    async run(r) {
      r.activation.down.add(this.workflowId.replace(/^order-/, ''));
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0008', 'recorded-fallout-retry-by-rule', []);
      await r.sleep(5 * 60_000);
      await o.until((s) => s.step.startsWith('retrying activation1'));
      r.activation.down.delete(o.orderId);
      await r.sleep(20 * 60_000);
      await accept(o, 1);
      await acknowledgeRfb(o, 1);
      return finishWithoutPhase2(o);
    },
  },
  {
    // The activation system refuses activation 1 (4xx): a task at once; the fallout group skips
    // it, its services stay notActivated, and the order completes.
    file: 'order-activation-refused-skip.json',
    workflowId: 'order-ORD-456016A95173BA4F',
    async run(r) {
      r.activation.refusing.add(this.workflowId.replace(/^order-/, ''));
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0009', 'recorded-activation-refused-skip', []);
      await decideFallout(o, { action: 'skip', reason: 'provisioned by hand' });
      await accept(o, 1);
      await acknowledgeRfb(o, 1);
      return finishWithoutPhase2(o);
    },
  },
  {
    // The customer never answers acceptance 1: reminded, a second wait by rule, then a task;
    // the customer accepts while it is open, so the task is withdrawn and the order goes on.
    file: 'order-acceptance-no-answer.json',
    workflowId: 'order-ORD-689978172E0513CF',
    timeSkipping: true,
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0010', 'recorded-acceptance-no-answer', []);
      await o.until((s) => s.waitingFor.includes('acceptance1'));
      await r.sleep(defaultOrderSettings.acceptanceWaitMs + 60_000);
      await r.sleep(defaultOrderSettings.acceptanceWaitMs + 60_000);
      await o.until((s) => s.step === 'fallout: acceptance1');
      await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'accepted', actor: 'customer' }] });
      await acknowledgeRfb(o, 1);
      return finishWithoutPhase2(o);
    },
  },
  {
    // Billing never acknowledges RFB 1: sent again by rule, then a task; the fallout group skips
    // it, so the RFB is withdrawn at billing and billing not started; the 24 h task goes with it.
    file: 'order-rfb-no-answer-skip.json',
    workflowId: 'order-ORD-5D05C5FB6360AF5F',
    timeSkipping: true,
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0011', 'recorded-rfb-no-answer-skip', []);
      await accept(o, 1);
      await o.until((s) => rfbSent(s, 1) !== undefined);
      await r.sleep(defaultOrderSettings.rfbAcknowledgementWaitMs + 60_000);
      await r.sleep(defaultOrderSettings.rfbAcknowledgementWaitMs + 60_000);
      await decideFallout(o, { action: 'skip', reason: 'billed by hand' }, 'rfb1');
      return finishWithoutPhase2(o);
    },
  },
  {
    // Billing is down through the RFB send's retries; the policy sends it again 10 minutes later.
    file: 'order-billing-down-retry.json',
    workflowId: 'order-ORD-3B59F02A67467EB8',
    timeSkipping: true,
    async run(r) {
      r.billing.down.add(this.workflowId.replace(/^order-/, ''));
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0012', 'recorded-billing-down-retry', []);
      await accept(o, 1);
      await r.sleep(5 * 60_000);
      await o.until((s) => s.step.startsWith('retrying rfb1'));
      r.billing.down.delete(o.orderId);
      await r.sleep(15 * 60_000);
      await acknowledgeRfb(o, 1);
      return finishWithoutPhase2(o);
    },
  },
  {
    // Phase 1 misses its 24 h; the fallout group cancels from the deadline's task: compensated.
    file: 'order-deadline-cancel.json',
    workflowId: 'order-ORD-7A4DD4FFBA957F3F',
    timeSkipping: true,
    async run(r) {
      const o = await startRecordedOrder(r, this.workflowId, 'REC-0013', 'recorded-deadline-cancel', []);
      await o.until((s) => s.waitingFor.includes('acceptance1'));
      await r.sleep(defaultOrderSettings.phase1DeadlineMs + 60_000);
      const late = await o.until((s) => s.openTaskIds.some((id) => id.includes(':fallout:')));
      const taskId = late.openTaskIds.find((id) => id.includes(':fallout:'))!;
      await o.handle.executeUpdate(taskActionUpdate, {
        args: [{ taskId, action: 'complete', actor: operator, outcome: { action: 'cancel', reason: 'customer unreachable' } }],
      });
      return o.handle.result();
    },
  },
  {
    // The customer cancels; deactivation is refused, retried by rule, then a task; once the
    // activation system takes it again the fallout group retries and the cancel completes.
    file: 'order-compensation-fallout-retry.json',
    workflowId: 'order-ORD-582CB42CAD8F4B24',
    timeSkipping: true,
    async run(r) {
      const o = await cancelledWithDeactivationRefused(r, this.workflowId, 'REC-0014', 'recorded-compensation-fallout-retry');
      r.activation.refusingDeactivation.delete(o.orderId);
      await decideFallout(o, { action: 'retry' }, 'compensation');
      return o.handle.result();
    },
  },
  {
    // As above, but the fallout group gives the compensation up (undone by hand): the order is
    // cancelled and its cancel request ends terminatedWithError.
    file: 'order-compensation-given-up.json',
    workflowId: 'order-ORD-2C51A3FECE2E9E6B',
    timeSkipping: true,
    async run(r) {
      const o = await cancelledWithDeactivationRefused(r, this.workflowId, 'REC-0015', 'recorded-compensation-given-up');
      await decideFallout(o, { action: 'skip', reason: 'deactivated by hand' }, 'compensation');
      return o.handle.result();
    },
  },
  {
    // With acceptance.REJECTED set to abort, a rejected acceptance cancels the order by rule.
    file: 'order-policy-abort.json',
    workflowId: 'order-ORD-FCF638AC7DD63944',
    async run(r) {
      const row = eq(falloutPolicies.id, 'acceptance.REJECTED');
      await r.database.db
        .update(falloutPolicies)
        .set({ first: { kind: 'abort' } })
        .where(row);
      try {
        const o = await startRecordedOrder(r, this.workflowId, 'REC-0016', 'recorded-policy-abort', []);
        await o.until((s) => s.waitingFor.includes('acceptance1'));
        await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'rejected', actor: 'customer' }] });
        return await o.handle.result();
      } finally {
        await r.database.db
          .update(falloutPolicies)
          .set({ first: { kind: 'manual' } })
          .where(row);
      }
    },
  },
  {
    // An untouched billing case climbs figure 19's ladder: coordination at day 7, management at
    // 14, the superintendent at 21; then it is resolved and closed.
    file: 'case-escalated.json',
    workflowId: 'case-TT-411C657D7F33D8AA',
    timeSkipping: true,
    async run(r) {
      const c = await startRecordedCase(r, this.workflowId, 'billing', 'REC-0101', 'recorded-case-escalated');
      for (const level of [1, 2, 3]) {
        await r.sleep(7 * 24 * 3600_000 + 60_000);
        await c.until((s) => s.escalationLevel === level);
      }
      await c.command({ command: 'resolve', actor: 'recorder', resolution: 'refund issued' });
      await c.command({ command: 'close', actor: 'customer' });
      return c.handle.result();
    },
  },
  {
    // A defect not solved at triage goes to service management, is resolved, reopened by the
    // customer, put pending and resumed, resolved again and closed.
    file: 'case-reopened.json',
    workflowId: 'case-TT-8D3AEE1A7596C0BB',
    async run(r) {
      const c = await startRecordedCase(r, this.workflowId, 'defect', 'REC-0102', 'recorded-case-reopened');
      await c.command({ command: 'triage', actor: 'agent', answers: [{ questionId: 'since', answer: 'today' }], solved: false });
      await c.command({ command: 'notes', actor: 'ana', text: 'looking at the proxy' });
      await c.command({ command: 'resolve', actor: 'ana', resolution: 'proxy restarted' });
      await c.command({ command: 'reopen', actor: 'customer', comment: 'still down' });
      await c.command({ command: 'pending', actor: 'ana', reason: 'waiting for the customer logs' });
      await c.command({ command: 'resume', actor: 'ana' });
      await c.command({ command: 'resolve', actor: 'ana', resolution: 'certificate renewed' });
      await c.command({ command: 'close', actor: 'customer' });
      return c.handle.result();
    },
  },
  {
    // A class III recall monitored for two months on a short history limit: the first run, from
    // initiation through assessment, notices, a refused termination and monitoring, to its continue-as-new.
    file: 'recall-continued-as-new.json',
    workflowId: 'recall-RCL-DADD7D4D597EF44F',
    timeSkipping: true,
    async run(r) {
      const recall = await startRecordedRecall(r, this.workflowId, 'recorded-recall-continued', 60);
      this.runId = (await recall.handle.describe()).runId;
      await recall.complete(`${recall.recallId}:hazard`, { likelihood: 'unlikely', consequence: 'temporary', class: 'III' });
      await recall.until((s) => s.status === 'monitoring');
      await respondAll(r, recall.recallId, recall.customers.slice(0, 2), 'acknowledged');
      await r.sleep(24 * 3600_000);
      const asked = await recall.until((s) => s.status === 'terminationRequested');
      await recall.complete(asked.openTaskIds[0]!, { approved: false, rationale: 'keep watching' });
      await r.sleep(60 * 24 * 3600_000);
      await recall.until((s) => s.run > 1 && s.status === 'terminationRequested');
      return { runs: (await recall.state()).run };
    },
  },
  {
    // The same recall's last run: taken up from the carried state, its termination approved, the final report filed.
    file: 'recall-terminated-after-continue.json',
    workflowId: 'recall-RCL-DADD7D4D597EF44F',
    timeSkipping: true,
    async run(r) {
      const recall = driveRecall(r.client, this.workflowId.replace(/^recall-/, ''));
      const asked = await recall.until((s) => s.status === 'terminationRequested');
      await recall.complete(asked.openTaskIds[0]!, { approved: true });
      return recall.handle.result();
    },
  },
  {
    // A class I recall whose notification system refuses at first (a task, retried), then
    // reminders and a report, and a cancel: everyone notified is told it is withdrawn.
    file: 'recall-cancelled.json',
    workflowId: 'recall-RCL-DF82BCDB2AD57911',
    timeSkipping: true,
    async run(r) {
      const recall = await startRecordedRecall(r, this.workflowId, 'recorded-recall-cancelled');
      r.notification.refusing = 'sender not verified';
      await recall.complete(`${recall.recallId}:hazard`, { likelihood: 'likely', consequence: 'serious', class: 'I' });
      const stuck = await recall.until((s) => s.openTaskIds.some((id) => id.includes(':fallout:')));
      r.notification.refusing = null;
      await recall.complete(stuck.openTaskIds[0]!, { action: 'retry' });
      await recall.until((s) => s.status === 'monitoring');
      await respondAll(r, recall.recallId, recall.customers.slice(0, 6), 'remedied');
      await r.sleep(15 * 24 * 3600_000);
      await recall.until((s) => s.reportsFiled === 1 && s.reminderRounds === 5);
      await recall.command({ command: 'cancel', reason: 'raised in error' });
      return recall.handle.result();
    },
  },
];

/** A recall of the recorder's own parties, whose id follows from a fixed Idempotency-Key. */
async function startRecordedRecall(r: Recording, workflowId: string, key: string, historyEventLimit?: number) {
  const customers = await seedParties(r.database.db, {
    prefix: 'REC',
    count: 12,
    productId: 'datahost',
    componentId: 'datahost.web-space',
    activatedAt: new Date('2026-02-02T08:00:00Z'),
    withoutContactEvery: 4,
  });
  const recall = await startRecall(r.client, r.taskQueue, webSpaceRecall(customers.map((c) => `SVC-${c}`)), historyEventLimit, key);
  if (`recall-${recall.recallId}` !== workflowId) throw new Error(`recipe's workflowId should be recall-${recall.recallId}`);
  await recall.until((s) => s.openTaskIds.length === 1);
  return { ...recall, customers };
}

const respondAll = async (r: Recording, recallId: string, customers: string[], response: 'acknowledged' | 'remedied') => {
  for (const c of customers)
    await recordNoticeResponse(r.database.db, { noticeId: `${recallId}:${c}`, response, quantity: null, by: 'recorder' });
};

/** Starts a case whose id, and so its workflow id, follows from a fixed customer and externalId. */
async function startRecordedCase(r: Recording, workflowId: string, kind: 'billing' | 'defect', taxId: string, externalId: string) {
  const c = await startCase(r.client, r.database.db, r.taskQueue, { ...ticketRequest(kind, { taxId }), externalId });
  if (`case-${c.caseId}` !== workflowId) throw new Error(`recipe's workflowId should be case-${c.caseId}`);
  return c;
}

/** Polls for the acceptance reminder: the order's state does not show it, its notification row does. */
async function reminded(database: Database, orderId: string, timeoutMs = 20_000) {
  const sent = and(eq(notifications.subjectId, orderId), eq(notifications.kind, 'acceptanceReminder'));
  const deadline = Date.now() + timeoutMs;
  while ((await database.db.select().from(notifications).where(sent)).length === 0) {
    if (Date.now() > deadline) throw new Error(`order ${orderId} was never reminded`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A server to record on, with what the recipes need of it. */
interface Server {
  address: string;
  nativeConnection: NativeConnection;
  client: Client;
  sleep(ms: number): Promise<void>;
  close(): Promise<void>;
}

async function devServer(cli: string): Promise<Server> {
  const server = await startDevServer({ executable: cli, port: await freePort(), namespace: 'default' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  return {
    address: server.address,
    nativeConnection,
    client: new Client({ connection }),
    sleep: () => Promise.reject(new Error('the dev server cannot skip time: give the recipe `timeSkipping`')),
    async close() {
      await connection.close();
      await nativeConnection.close();
      await server.stop();
    },
  };
}

async function timeSkippingServer(testServer: string): Promise<Server> {
  const env = await timeSkippingEnvironment(testServer);
  return {
    address: env.address,
    nativeConnection: env.nativeConnection,
    // A plain client: the environment's own one lets time skip while awaiting a result, which
    // could fire timers the recipe did not ask for; here time moves only by `sleep`.
    client: new Client({ connection: env.connection }),
    sleep: (ms) => env.sleep(ms),
    close: () => env.teardown(),
  };
}

/**
 * The history as `temporal workflow show --output json` writes it: the JSON that Temporal's
 * tools and SDKs read, and that `Worker.runReplayHistory` takes as parsed.
 */
function historyJson(cli: string, address: string, workflowId: string, runId?: string): string {
  const shown = execFileSync(
    cli,
    [
      'workflow',
      'show',
      '--address',
      address,
      '--namespace',
      'default',
      '--workflow-id',
      workflowId,
      ...(runId ? ['--run-id', runId] : []),
      '--output',
      'json',
    ],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return JSON.stringify(JSON.parse(shown), null, 1) + '\n';
}

async function main(names: string[]) {
  const selected =
    names.length === 0
      ? recipes
      : names.map((name) => recipes.find((r) => r.file === name || r.file === `${name}.json`) ?? unknownRecipe(name));
  // The SDK's default INFO log reports every worker's state change, burying what was recorded.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { cli, testServer } = ensureTemporalBinaries(console.log);
  if (!cli) throw new Error(missingBinariesMessage(temporalCli));
  if (!testServer && selected.some((r) => r.timeSkipping)) throw new Error(missingBinariesMessage(temporalTestServer));
  const scratchDb = await createScratchDatabase('record');
  const database = await openDatabase({ url: scratchDb.url, poolSize: 4, dataDir: '.data' });
  await database.migrate();
  await seedCatalogue(database.db);
  const workflowBundle = await bundleWorkflows(fileURLToPath(new URL('./workflows.ts', import.meta.url)));
  const activation = new ActivationOutage();
  const billing = new BillingOutage();
  const notification = new NotificationSimulator();
  const activities = { ...createTestActivities(), ...createActivities({ db: database.db, activation, billing, notification }) };
  try {
    for (const timeSkipping of [false, true]) {
      const batch = selected.filter((r) => (r.timeSkipping ?? false) === timeSkipping);
      if (batch.length === 0) continue;
      const server = timeSkipping ? await timeSkippingServer(testServer!) : await devServer(cli);
      const taskQueue = `record-${randomUUID()}`;
      const worker = await Worker.create({ connection: server.nativeConnection, taskQueue, workflowBundle, activities });
      try {
        await worker.runUntil(async () => {
          for (const recipe of batch) {
            const result = await recipe.run({
              client: server.client,
              taskQueue,
              database,
              activation,
              billing,
              notification,
              sleep: server.sleep,
            });
            const path = fileURLToPath(new URL(`../histories/${recipe.file}`, import.meta.url));
            writeFileSync(path, historyJson(cli, server.address, recipe.workflowId, recipe.runId));
            // A file that does not replay today is no fixture: fail here, not in the next test run.
            await Worker.runReplayHistory({ workflowBundle }, JSON.parse(readFileSync(path, 'utf8')), recipe.workflowId);
            console.log(`recorded ${recipe.workflowId} (${JSON.stringify(result)}) -> ${path}`);
          }
        });
      } finally {
        await server.close();
      }
    }
  } finally {
    await database.close();
    await scratchDb.drop();
  }
}

function unknownRecipe(name: string): never {
  throw new Error(`no recipe ${name}; recipes: ${recipes.map((r) => r.file.replace(/\.json$/, '')).join(', ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
