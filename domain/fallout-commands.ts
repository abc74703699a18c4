/** The body of `PUT /falloutPolicies/{id}`: the step and error code are the row's id, not changed. */
import { z } from 'zod';
import { falloutPolicy } from './values.js';

export const falloutPolicyChange = z
  .object({
    first: falloutPolicy,
    second: falloutPolicy,
    description: z.string().min(1).max(500).optional(),
  })
  .strict()
  .meta({ id: 'FalloutPolicyChange' });
export type FalloutPolicyChange = z.infer<typeof falloutPolicyChange>;
