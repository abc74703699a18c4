/**
 * The order workflow's contract: its id, updates and query, and their payloads. Imported by the
 * workflow and by the API, so names are declared once.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Fulfilment, MilestoneRecord, OrderState } from '../db/schema.js';
import type { OrderView } from '../db/views.js';

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;

export const milestoneNames = ['activation1', 'acceptance1', 'rfb1', 'manualTasks', 'activation2', 'acceptance2', 'rfb2'] as const;
export type MilestoneName = (typeof milestoneNames)[number];
export type Milestones = Record<MilestoneName, MilestoneRecord>;

export interface PlanStep {
  /** Unique within the order: item position and component, e.g. `1.datahost.ftp`. */
  key: string;
  itemId: string;
  offeringId: string;
  componentId: string;
  name: string;
  fulfilment: Fulfilment;
  manualGroup: string | null;
  configuration: Record<string, string>;
}

export interface PricedItem {
  id: string;
  position: number;
  offeringId: string;
  quantity: number;
  componentIds: string[];
  configuration: Record<string, string>;
  oneTimeCents: number;
  recurringCents: number;
}

export interface SubmitOrder {
  orderId: string;
  externalId: string | null;
  customer: { id: string } | { name: string; taxId: string };
  contact: { name: string; email: string; phone?: string };
  currency: string;
  items: PricedItem[];
  oneTimeCents: number;
  recurringCents: number;
  plan: PlanStep[];
}

export interface OrderSettings {
  /** After this long without a customer decision the customer is reminded (ms). */
  acceptanceReminderMs: number;
  /** Seed 003: activation 1 and RFB 1 are due within 24 h of submission (ms). */
  phase1DeadlineMs: number;
}

/** Seed 003's 24 h for phase 1; a customer reminded after two days. */
export const defaultOrderSettings: OrderSettings = { acceptanceReminderMs: 48 * 3600_000, phase1DeadlineMs: 24 * 3600_000 };

export interface AcceptanceRequest {
  phase: 1 | 2;
  decision: 'accepted' | 'rejected';
  comment?: string;
  actor: string;
}

export interface RfbAcknowledgement {
  rfbId: string;
  status: 'accepted' | 'rejected';
  billingAccountId?: string;
  cycleStartDate?: string;
  reason?: string;
}

export interface RfbState {
  id: string;
  phase: number;
  status: 'sent' | 'accepted' | 'rejected' | 'withdrawn';
}

export interface OrderWorkflowState {
  orderId: string;
  state: OrderState;
  step: string;
  milestones: Milestones;
  openTaskIds: string[];
  rfbs: RfbState[];
  waitingFor: string[];
  deadlines: { phase1: string | null };
}

/** Update-with-start's update: records the order and answers with it as written (state acknowledged). */
export const submitOrderUpdate = defineUpdate<OrderView, [SubmitOrder]>('submitOrder');
export const acceptanceUpdate = defineUpdate<{ phase: number; decision: string }, [AcceptanceRequest]>('acceptance');
export const rfbAcknowledgementUpdate = defineUpdate<RfbState, [RfbAcknowledgement]>('acknowledgeRfb');
export const cancelOrderUpdate = defineUpdate<{ orderId: string; state: OrderState }, [{ reason: string; actor: string }]>('cancelOrder');
export const orderStateQuery = defineQuery<OrderWorkflowState>('state');
