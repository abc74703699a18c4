/**
 * The zod schemas of the order workflow's update payloads. The API derives its bodies from them;
 * the workflow bundle imports only their types (zod in the sandbox costs CPU per new order).
 */
import { z } from 'zod';
import { acceptanceDecisions, rfbAnswers } from '../domain/vocabulary.js';

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
