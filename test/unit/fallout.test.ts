/** The fallout table's decision: what a step's n-th failure does under a row's two policies. */
import { describe, expect, it } from 'vitest';
import { defaultFalloutPolicies } from '../../catalog/fallout-policies.js';
import {
  falloutCauses,
  falloutMove,
  falloutPolicyProblem,
  freshFallout,
  type FalloutMove,
  type FalloutPolicyRow,
  type FalloutStep,
} from '../../domain/fallout.js';

/** The moves of `failures` failures in a row. */
function moves(row: Pick<FalloutPolicyRow, 'first' | 'second'>, failures: number): FalloutMove[] {
  let progress = freshFallout;
  const made: FalloutMove[] = [];
  for (let i = 0; i < failures; i++) {
    const [move, next] = falloutMove(row, progress);
    made.push(move);
    progress = next;
  }
  return made;
}

describe('fallout policy table', () => {
  it('retries by rule with a doubling back-off, then the second policy, then people', () => {
    const row = {
      first: { kind: 'retry', count: 2, backoffSeconds: 60 },
      second: { kind: 'retry', count: 1, backoffSeconds: 600 },
    } as const;
    expect(moves(row, 5)).toEqual([
      { move: 'retry', delayMs: 60_000, attempt: 1, of: 2 },
      { move: 'retry', delayMs: 120_000, attempt: 2, of: 2 },
      { move: 'retry', delayMs: 600_000, attempt: 1, of: 1 },
      { move: 'manual' },
      { move: 'manual' },
    ]);
  });

  it('hands a failure after a retried one to the second policy: skip, abort or people', () => {
    for (const second of [{ kind: 'skip' }, { kind: 'abort' }, { kind: 'manual' }] as const) {
      expect(moves({ first: { kind: 'retry', count: 1, backoffSeconds: 0 }, second }, 2)[1]).toEqual({ move: second.kind });
    }
  });

  it('once people decided, every later failure of the step is theirs', () => {
    expect(moves({ first: { kind: 'manual' }, second: { kind: 'abort' } }, 3)).toEqual([
      { move: 'manual' },
      { move: 'manual' },
      { move: 'manual' },
    ]);
  });

  it('ships a row for every step and error code, each allowed for its step', () => {
    const expected = Object.entries(falloutCauses).flatMap(([step, codes]) => codes.map((code) => `${step}.${code}`));
    expect(defaultFalloutPolicies.map((r) => r.id).sort()).toEqual(expected.sort());
    for (const r of defaultFalloutPolicies) {
      expect(falloutPolicyProblem(r.step, r.first), r.id).toBeUndefined();
      expect(falloutPolicyProblem(r.step, r.second), r.id).toBeUndefined();
    }
  });

  it('never lets compensation be skipped or aborted by rule', () => {
    const step: FalloutStep = 'deactivation';
    expect(falloutPolicyProblem(step, { kind: 'skip' })).toMatch(/retry or manual/);
    expect(falloutPolicyProblem(step, { kind: 'abort' })).toMatch(/retry or manual/);
    expect(falloutPolicyProblem('rfb', { kind: 'abort' })).toBeUndefined();
  });
});
