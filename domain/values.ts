/** Value schemas shared by request bodies, read models and payloads: each rule written once. */
import { z } from 'zod';
import { groupNamePattern, orderIdPattern } from './vocabulary.js';
import type { FalloutPolicy } from './fallout.js';

export const groupName = z.string().regex(groupNamePattern, 'a group name such as provisioning or web-marketing');
export const orderId = z.string().regex(orderIdPattern, 'an order id such as ORD-0123456789ABCDEF');
export const taskId = z.string().min(1).max(300);
export const customerId = z.string().min(1).max(64);
export const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date and time');
/** Prices are kept in cents and shown in units. */
export const price = z.object({ oneTime: z.number(), recurring: z.number() });
/** Free-form key-value data a caller or a workflow attaches (task input, outcome, audit details). */
export const record = z.record(z.string(), z.unknown());

/** One policy of the fallout table (domain/fallout.ts says what each kind means). */
export const falloutPolicy = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('retry'),
        count: z.number().int().min(1).max(10).describe('How many times the step runs again'),
        backoffSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 86400)
          .describe('Wait before the first retry, doubled before each next one'),
      })
      .strict(),
    z
      .object({ kind: z.literal('manual') })
      .strict()
      .describe('A fallout task: the fallout group retries, skips or cancels'),
    z
      .object({ kind: z.literal('skip') })
      .strict()
      .describe('Go on without the step, recorded as skipped'),
    z
      .object({ kind: z.literal('abort') })
      .strict()
      .describe('Cancel the order, compensating what was done'),
  ])
  .meta({ id: 'FalloutPolicy' }) satisfies z.ZodType<FalloutPolicy>;
