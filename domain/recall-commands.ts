/**
 * Recall initiation, responses and commands: the zod schemas the API validates with and derives
 * its OpenAPI from, and the types the recall workflow takes (it imports types only).
 */
import { z } from 'zod';
import { noticeResponses, remedyResponses } from './vocabulary.js';
import type { RecallCommand } from './recalls.js';

const day = z.iso.date().describe('YYYY-MM-DD');

export const recallRequest = z
  .object({
    productId: z.string().min(1).max(100).describe('The catalogue product recalled'),
    componentId: z.string().min(1).max(100).optional().describe('Only instances of this component of the product'),
    reason: z.string().min(1).max(4000).describe('Why it is recalled: the defect found'),
    hazard: z.string().min(1).max(4000).describe('What harm it may do'),
    instructions: z
      .string()
      .min(1)
      .max(4000)
      .default('Stop using the affected service and tell us whether you acknowledged, returned or remedied it, or decline.')
      .describe('What an affected customer is to do, as the notice says it'),
    scope: z
      .object({
        activatedFrom: day.optional().describe('Instances activated on or after this day'),
        activatedTo: day.optional().describe('Instances activated on or before this day'),
        serviceIds: z.array(z.string().min(1).max(100)).min(1).max(10_000).optional().describe('Only these instances'),
      })
      .strict()
      .default({})
      .refine((s) => !s.activatedFrom || !s.activatedTo || s.activatedFrom <= s.activatedTo, {
        message: 'activatedFrom comes on or before activatedTo',
        path: ['activatedTo'],
      }),
  })
  .strict()
  .meta({ id: 'RecallRequest' });
export type RecallRequest = z.infer<typeof recallRequest>;

/** What the recall workflow records at initiation (the API derived the id). */
export interface SubmitRecall extends RecallRequest {
  recallId: string;
  requestHash: string;
  idempotencyKey: string | null;
  createdBy: string;
}

export const noticeResponseRequest = z
  .object({
    noticeId: z.string().min(1).max(200),
    response: z.enum(noticeResponses),
    quantity: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('How many were returned or remedied; by default every affected instance the party holds'),
  })
  .strict()
  .refine((r) => r.quantity === undefined || remedyResponses.includes(r.response), {
    message: 'a quantity goes with returned or remedied',
    path: ['quantity'],
  })
  .meta({ id: 'RecallNoticeResponse' });

export const recallCommandBodies = {
  cancel: z.object({ reason: z.string().min(1).max(2000).describe('Why the recall was raised in error') }).strict(),
  terminate: z.object({ reason: z.string().min(1).max(2000).describe('Why the recall may end now') }).strict(),
} as const satisfies Record<RecallCommand, z.ZodType>;

export type RecallCommandRequest = { command: RecallCommand; actor: string; reason: string };
