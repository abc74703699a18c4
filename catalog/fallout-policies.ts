/**
 * The fallout policies the platform ships with (seeded once; admins change them through
 * `PUT /api/v1/falloutPolicies/{id}` and a restart keeps their change).
 */
import { falloutPolicyId, type FalloutCause, type FalloutPolicy, type FalloutPolicyRow, type FalloutStep } from '../domain/fallout.js';

const manual: FalloutPolicy = { kind: 'manual' };
const row = (step: FalloutStep, errorCode: FalloutCause, first: FalloutPolicy, second: FalloutPolicy, description: string) =>
  ({ id: falloutPolicyId(step, errorCode), step, errorCode, first, second, description }) satisfies FalloutPolicyRow;

export const defaultFalloutPolicies: FalloutPolicyRow[] = [
  row(
    'activation',
    'ACTIVATION_FAILED',
    { kind: 'retry', count: 2, backoffSeconds: 900 },
    manual,
    'The activation system stayed down through the activity retries: try again after 15 and 30 minutes, then ask the fallout group',
  ),
  row('activation', 'ACTIVATION_REJECTED', manual, manual, 'The activation system refused the request (4xx): people look at it'),
  row('acceptance', 'REJECTED', manual, manual, 'The customer rejected the delivery: the fallout group decides'),
  row(
    'acceptance',
    'NO_ANSWER',
    { kind: 'retry', count: 1, backoffSeconds: 0 },
    manual,
    'No customer decision within the wait: remind once more and wait again, then ask the fallout group',
  ),
  row('rfb', 'REJECTED', manual, manual, 'Billing rejected the RFB: the fallout group fixes the cause and retries with a new RFB'),
  row(
    'rfb',
    'NO_ANSWER',
    { kind: 'retry', count: 1, backoffSeconds: 0 },
    manual,
    'Billing did not acknowledge within the wait: send the same RFB again and wait once more, then ask the fallout group',
  ),
  row(
    'rfb',
    'BILLING_UNAVAILABLE',
    { kind: 'retry', count: 3, backoffSeconds: 600 },
    manual,
    'Billing stayed down through the send retries: try again after 10, 20 and 40 minutes, then ask the fallout group',
  ),
  row('deadline', 'DEADLINE_MISSED', manual, manual, 'Phase 1 missed its 24 h: the order keeps waiting and the fallout group decides'),
  row(
    'deactivation',
    'COMPENSATION_FAILED',
    { kind: 'retry', count: 3, backoffSeconds: 300 },
    manual,
    'Compensation failed: try again after 5, 10 and 20 minutes, then ask the fallout group',
  ),
];
