/**
 * Fallout policy as data, on the model of ONAP SO's rainy-day table: for each step of the order
 * flow and each way it can fail, a first policy and a second one for when the first (a retry)
 * did not heal. Plain constants and functions (no zod): the order workflow decides with them.
 */

/** The steps that can go to fallout. `deadline` is phase 1's 24 h; `deactivation` is compensation. */
export const falloutSteps = ['activation', 'acceptance', 'rfb', 'deadline', 'deactivation'] as const;
export type FalloutStep = (typeof falloutSteps)[number];

/** How each step fails: the error codes of the policy table. */
export const falloutCauses = {
  /** ACTIVATION_FAILED: the system stayed down through the activity's own retries; REJECTED: a 4xx, its final word. */
  activation: ['ACTIVATION_FAILED', 'ACTIVATION_REJECTED'],
  acceptance: ['REJECTED', 'NO_ANSWER'],
  /** REJECTED: billing answered rejected or refused the send; BILLING_UNAVAILABLE: down through the send's retries. */
  rfb: ['REJECTED', 'NO_ANSWER', 'BILLING_UNAVAILABLE'],
  deadline: ['DEADLINE_MISSED'],
  deactivation: ['COMPENSATION_FAILED'],
} as const satisfies Record<FalloutStep, readonly string[]>;
export type FalloutCause = (typeof falloutCauses)[FalloutStep][number];

export const falloutPolicyKinds = ['retry', 'manual', 'skip', 'abort'] as const;
export type FalloutPolicyKind = (typeof falloutPolicyKinds)[number];

/**
 * `retry`: run the step again, `count` times, waiting `backoffSeconds` doubled each time;
 * `manual`: a fallout task (retry, skip or cancel, as the fallout group decides);
 * `skip`: go on without the step, recorded as skipped; `abort`: cancel the order with compensation.
 */
export type FalloutPolicy =
  { kind: 'retry'; count: number; backoffSeconds: number } | { kind: 'manual' } | { kind: 'skip' } | { kind: 'abort' };

export interface FalloutPolicyRow {
  /** `<step>.<errorCode>`, e.g. `activation.ACTIVATION_FAILED`. */
  id: string;
  step: FalloutStep;
  errorCode: FalloutCause;
  first: FalloutPolicy;
  second: FalloutPolicy;
  description: string;
}

export const falloutPolicyId = (step: FalloutStep, errorCode: string) => `${step}.${errorCode}`;

/**
 * What a policy means for a step. Compensation can be retried or handed to people, never skipped
 * or aborted by rule (it is the abort; a compensation given up silently would leave components
 * active). A deadline's retry gives phase 1 the same time again.
 */
export const allowedPolicies: Record<FalloutStep, readonly FalloutPolicyKind[]> = {
  activation: falloutPolicyKinds,
  acceptance: falloutPolicyKinds,
  rfb: falloutPolicyKinds,
  deadline: falloutPolicyKinds,
  deactivation: ['retry', 'manual'],
};

/** What the fallout group may decide on a task of the step: compensation cannot be cancelled. */
export const falloutTaskActions = (step: FalloutStep): readonly ('retry' | 'skip' | 'cancel')[] =>
  step === 'deactivation' ? ['retry', 'skip'] : ['retry', 'skip', 'cancel'];

export function falloutPolicyProblem(step: FalloutStep, p: FalloutPolicy): string | undefined {
  if (!allowedPolicies[step].includes(p.kind)) return `${step} takes ${allowedPolicies[step].join(' or ')}, not ${p.kind}`;
  return undefined;
}

/** What has been tried for a step's failures so far. */
export interface FalloutProgress {
  /** 1 while the first policy applies, 2 once its retries are spent. */
  stage: 1 | 2;
  /** Retries made under the current stage's policy. */
  retries: number;
  /** Once people decided (a fallout task), every later failure of the step is theirs too. */
  manual: boolean;
}
export const freshFallout: FalloutProgress = { stage: 1, retries: 0, manual: false };

export type FalloutMove =
  { move: 'retry'; delayMs: number; attempt: number; of: number } | { move: 'manual' } | { move: 'skip' } | { move: 'abort' };

/**
 * The next move for a step that failed, and the progress after it. A retry policy whose retries
 * are spent gives way to the second policy; a second retry spent, to people: no step retries by
 * rule forever, and none stalls without a task.
 */
export function falloutMove(row: Pick<FalloutPolicyRow, 'first' | 'second'>, progress: FalloutProgress): [FalloutMove, FalloutProgress] {
  if (progress.manual) return [{ move: 'manual' }, progress];
  const policy = progress.stage === 1 ? row.first : row.second;
  switch (policy.kind) {
    case 'retry':
      if (progress.retries < policy.count) {
        const retries = progress.retries + 1;
        return [
          { move: 'retry', delayMs: policy.backoffSeconds * 1000 * 2 ** (retries - 1), attempt: retries, of: policy.count },
          { ...progress, retries },
        ];
      }
      if (progress.stage === 1) return falloutMove(row, { stage: 2, retries: 0, manual: false });
      return [{ move: 'manual' }, { ...progress, manual: true }];
    case 'manual':
      return [{ move: 'manual' }, { ...progress, manual: true }];
    case 'skip':
    case 'abort':
      return [{ move: policy.kind }, progress];
  }
}

/** A row for a cause the table does not name: people decide. */
export const manualFallout: Pick<FalloutPolicyRow, 'first' | 'second'> = { first: { kind: 'manual' }, second: { kind: 'manual' } };
