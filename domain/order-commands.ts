/**
 * The order's commands: what order entry submits (plain types), and the zod schemas of the order
 * workflow's update payloads. The API derives its bodies from the schemas; the workflow bundle
 * imports only types from here (zod in the sandbox costs CPU per new order).
 */
import { z } from 'zod';
import { acceptanceDecisions, rfbAnswers, type Fulfilment } from './vocabulary.js';

export interface PlanStep {
  /** Unique within the order: item position and component, e.g. `1.datahost.ftp`. */
  key: string;
  itemId: string;
  offeringId: string;
  componentId: string;
  name: string;
  fulfilment: Fulfilment;
  manualGroup: string | null;
}

/** A component's unit prices and when it is delivered, as priced at order entry. */
export interface PricedComponent {
  id: string;
  fulfilment: Fulfilment;
  oneTimeCents: number;
  recurringCents: number;
}

export interface PricedItem {
  id: string;
  position: number;
  offeringId: string;
  quantity: number;
  componentIds: string[];
  configuration: Record<string, string>;
  /** The package's own unit prices, billed with phase 1 (its mandatory components activate then). */
  base: { oneTimeCents: number; recurringCents: number };
  components: PricedComponent[];
  oneTimeCents: number;
  recurringCents: number;
}

/** Order entry's result (api/order-entry): checked against the catalogue, priced, planned. */
export interface SubmitOrder {
  orderId: string;
  externalId: string | null;
  /** Resolved by order entry: an existing customer's id, or the id a new one is registered under. */
  customerId: string;
  customer: { id: string } | { name: string; taxId: string };
  /** A fingerprint of the request, so a reused Idempotency-Key with another body is recognised. */
  requestHash: string;
  /** `<key id>:<Idempotency-Key>` when the caller sent one. */
  idempotencyKey?: string | null;
  contact: { name: string; email: string; phone?: string };
  currency: string;
  items: PricedItem[];
  oneTimeCents: number;
  recurringCents: number;
  plan: PlanStep[];
}

/** Who sent a command, as `<role>:<key id>`: goes to the audit trail. */
const actor = z.string().min(1).max(200);

export const acceptanceBody = z
  .object({ phase: z.union([z.literal(1), z.literal(2)]), decision: z.enum(acceptanceDecisions), comment: z.string().max(2000).optional() })
  .strict();
export const acceptanceRequest = acceptanceBody.extend({ actor });
export type AcceptanceRequest = z.infer<typeof acceptanceRequest>;

export const cancelBody = z.object({ reason: z.string().min(1).max(2000) }).strict();
export const cancelRequest = cancelBody.extend({ actor });
export type CancelRequest = z.infer<typeof cancelRequest>;

export const rfbAcknowledgement = z
  .object({
    rfbId: z.string().min(1).max(200),
    status: z.enum(rfbAnswers),
    billingAccountId: z.string().max(64).optional(),
    cycleStartDate: z.iso.date().optional(),
    reason: z.string().max(2000).optional(),
  })
  .strict();
export type RfbAcknowledgement = z.infer<typeof rfbAcknowledgement>;
