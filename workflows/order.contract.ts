/**
 * The order workflow's contract: its type name and input, its updates and query, their small
 * answers, its refusal codes and the pure rules that decide them. Imported by the workflow and
 * by the API, so names are declared once. No zod here (see order.payloads.ts).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { closedOrderStates, type Milestones, type OrderState, type RfbStatus } from '../domain/vocabulary.js';
import type { Verdict } from './inbox.contract.js';

export type { Verdict };
import type { AcceptanceRequest, CancelRequest, PlanStep, PricedItem, RfbAcknowledgement, SubmitOrder } from '../domain/order-commands.js';

export type { AcceptanceRequest, CancelRequest, PlanStep, PricedItem, RfbAcknowledgement, SubmitOrder };

/** The name the worker registers `order` under (workflows/index.ts exports it by this name). */
export const orderWorkflowType = 'order';
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;

export interface OrderSettings {
  /** After this long without a customer decision the customer is reminded (ms). */
  acceptanceReminderMs: number;
  /** Seed 003: activation 1 and RFB 1 are due within 24 h of submission (ms). */
  phase1DeadlineMs: number;
  /** Without a customer decision this long (reminder included), the acceptance goes to fallout (NO_ANSWER). */
  acceptanceWaitMs: number;
  /** Without billing's acknowledgement of an RFB this long, it goes to fallout (NO_ANSWER). */
  rfbAcknowledgementWaitMs: number;
}

/** Seed 003's 24 h for phase 1; a customer reminded after two days and given a week; billing three days. */
export const defaultOrderSettings: OrderSettings = {
  acceptanceReminderMs: 48 * 3600_000,
  phase1DeadlineMs: 24 * 3600_000,
  acceptanceWaitMs: 7 * 24 * 3600_000,
  rfbAcknowledgementWaitMs: 3 * 24 * 3600_000,
};

export interface OrderInput {
  orderId: string;
  settings: OrderSettings;
}
export type OrderWorkflow = (input: OrderInput) => Promise<OrderState>;

export interface RfbState {
  id: string;
  phase: number;
  status: RfbStatus;
}

export interface OrderWorkflowState {
  orderId: string;
  state: OrderState;
  step: string;
  milestones: Milestones;
  openTaskIds: string[];
  rfbs: RfbState[];
  waitingFor: string[];
  /**
   * Phase 1's 24 h; while the customer or billing is awaited, when the customer is reminded and
   * when the unanswered wait goes to fallout (none in orders started before the fallout table).
   */
  deadlines: { phase1: string | null; acceptanceReminder?: string; acceptanceNoAnswer?: string; rfbNoAnswer?: string };
}

export const orderRefusals = [
  'VALIDATION_FAILED',
  /** Order entry could not record the order as submitted (e.g. its external id is taken). */
  'ORDER_CONFLICT',
  'ACCEPTANCE_NOT_EXPECTED',
  'ORDER_CLOSED',
  'RFB_NOT_FOUND',
  'RFB_WITHDRAWN',
  'RFB_ALREADY_ACKNOWLEDGED',
] as const;
/** Codes a refused order update fails with; api/errors.ts maps each to its HTTP status. */
export type OrderRefusal = (typeof orderRefusals)[number];

/** An acceptance is taken only for the phase the order awaits (a closed order awaits none). */
export function acceptanceVerdict(order: { orderId: string; awaitedAcceptance: 1 | 2 | null }, phase: number): Verdict<OrderRefusal> {
  if (order.awaitedAcceptance === phase) return { ok: true };
  return {
    ok: false,
    code: 'ACCEPTANCE_NOT_EXPECTED',
    message: order.awaitedAcceptance
      ? `Order ${order.orderId} awaits acceptance ${order.awaitedAcceptance}, not ${phase}`
      : `Order ${order.orderId} is not awaiting a customer acceptance`,
  };
}

/** An order can be cancelled until it is closed or already being cancelled. */
export function cancelVerdict(order: { orderId: string; state: OrderState; cancelRequested: boolean }): Verdict<OrderRefusal> {
  if (order.cancelRequested || order.state === 'pendingCancellation' || closedOrderStates.includes(order.state)) {
    return { ok: false, code: 'ORDER_CLOSED', message: `Order ${order.orderId} is ${order.state}` };
  }
  return { ok: true };
}

/** Billing's answer to an RFB: a repeat of the same answer is a duplicate (answered, not applied). */
export function rfbAcknowledgementVerdict(
  rfb: RfbState | undefined,
  ack: Pick<RfbAcknowledgement, 'rfbId' | 'status'>,
): Verdict<OrderRefusal, { duplicate: boolean }> {
  if (!rfb) return { ok: false, code: 'RFB_NOT_FOUND', message: `No RFB ${ack.rfbId}` };
  if (rfb.status === 'withdrawn') return { ok: false, code: 'RFB_WITHDRAWN', message: `RFB ${ack.rfbId} was withdrawn` };
  if (rfb.status === ack.status) return { ok: true, duplicate: true };
  if (rfb.status !== 'sent') return { ok: false, code: 'RFB_ALREADY_ACKNOWLEDGED', message: `RFB ${ack.rfbId} was already ${rfb.status}` };
  return { ok: true, duplicate: false };
}

/** Update-with-start's update: answers once the order is written (state acknowledged). */
export const submitOrderUpdate = defineUpdate<{ orderId: string; customerId: string; created: boolean }, [SubmitOrder]>('submitOrder');
export const acceptanceUpdate = defineUpdate<{ phase: number; decision: string }, [AcceptanceRequest]>('acceptance');
export const rfbAcknowledgementUpdate = defineUpdate<RfbState, [RfbAcknowledgement]>('acknowledgeRfb');
export const cancelOrderUpdate = defineUpdate<{ orderId: string; state: OrderState }, [CancelRequest]>('cancelOrder');
export const orderStateQuery = defineQuery<OrderWorkflowState>('state');
