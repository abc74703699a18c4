/**
 * Fallout by policy (design section 3): a step that fails goes through the fallout table's row
 * for its step and error code (domain/fallout.ts decides the move): retried by rule, skipped,
 * aborted, or handed to the fallout group as a task. Nothing stalls without a task that says why.
 */
import { condition, isCancellation, sleep } from '@temporalio/workflow';
import {
  falloutMove,
  falloutTaskActions,
  freshFallout,
  manualFallout,
  type FalloutCause,
  type FalloutPolicyRow,
  type FalloutStep,
} from '../domain/fallout.js';
import type { FalloutAction } from '../domain/vocabulary.js';
import type { createInbox } from './inbox.js';

/** A step's failure with its error code. `answered` says the awaited answer came after all (the task is withdrawn). */
export class StepFailed extends Error {
  constructor(
    readonly code: FalloutCause,
    message: string,
    readonly answered?: () => boolean,
  ) {
    super(message);
  }
}

export type PolicyRows = Pick<FalloutPolicyRow, 'id' | 'errorCode' | 'first' | 'second'>[];

/** How a step ended: done, skipped (with why) or to be cancelled (with why). */
/** The Temporal failure type under an activity failure, e.g. `ActivationRejected`. */
export const failureTypeOf = (err: unknown): string | undefined => {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause && typeof cause === 'object' && 'type' in cause ? (cause as { type?: string }).type : undefined;
};

export type StepEnd<T> = { end: 'done'; value: T } | { end: 'skip'; reason: string } | { end: 'cancel'; reason: string };

export interface FalloutDeps {
  orderId: string;
  inbox: ReturnType<typeof createInbox>;
}

/** The message worth showing: an activity failure's cause says what went wrong. */
export const messageOf = (err: unknown) =>
  err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);

export function policyFallout(d: FalloutDeps) {
  let tasks = 0;

  return {
    /**
     * Runs `attempt` until it succeeds or the table (read by the caller as the step started)
     * ends it. A failure that is not a StepFailed counts as `otherwise`. `show` tells the order
     * where it stands: a retry by rule, people deciding (`waitsForPeople`), or back at the step.
     */
    async settle<T>(o: {
      name: string;
      step: FalloutStep;
      policies: PolicyRows;
      otherwise: FalloutCause;
      show: (where: string | undefined, waitsForPeople: boolean) => Promise<void>;
      attempt: (n: number, lastCode: FalloutCause | null) => Promise<T>;
    }): Promise<StepEnd<T>> {
      let progress = freshFallout;
      let lastCode: FalloutCause | null = null;
      for (let n = 1; ; n++) {
        try {
          return { end: 'done', value: await o.attempt(n, lastCode) };
        } catch (err) {
          if (isCancellation(err)) throw err;
          const failure = err instanceof StepFailed ? err : new StepFailed(o.otherwise, messageOf(err));
          lastCode = failure.code;
          const row = o.policies.find((r) => r.errorCode === failure.code);
          const policy = row?.id ?? `${o.step}.${failure.code} (no row: manual)`;
          const [move, next] = falloutMove(row ?? manualFallout, progress);
          progress = next;
          switch (move.move) {
            case 'retry':
              await o.show(`retrying ${o.name} (${move.attempt} of ${move.of}, policy ${policy}): ${failure.message}`, false);
              if (move.delayMs > 0) await sleep(move.delayMs);
              await o.show(undefined, false);
              continue;
            case 'skip':
              return { end: 'skip', reason: `skipped by policy ${policy}: ${failure.message}` };
            case 'abort':
              return { end: 'cancel', reason: `aborted by policy ${policy}: ${failure.message}` };
            case 'manual': {
              await o.show(`fallout: ${o.name}`, true);
              const taskId = `${d.orderId}:fallout:${++tasks}`;
              const asked = d.inbox.awaitTask({
                id: taskId,
                kind: 'fallout',
                group: 'fallout',
                title: `Order ${d.orderId}: ${o.name} (${failure.code})`,
                input: { step: o.name, errorCode: failure.code, error: failure.message, attempt: n, policy },
                due: { hours: 4, priority: 1 },
                actions: falloutTaskActions(o.step),
              }) as Promise<{ action: FalloutAction; reason?: string } | undefined>;
              const decision = failure.answered ? await untilAnswered(asked, failure.answered) : await asked;
              if (decision === undefined) await d.inbox.withdraw(taskId, `${o.name} was answered meanwhile`);
              const why = decision?.reason ? `: ${decision.reason}` : '';
              if (decision?.action === 'cancel') return { end: 'cancel', reason: `cancelled in fallout of ${o.name}${why}` };
              await o.show(undefined, false);
              if (decision?.action === 'skip') return { end: 'skip', reason: `skipped in fallout${why}` };
              continue;
            }
          }
        }
      }
    },
  };
}

/** The task's outcome, or undefined once the awaited answer came by itself. */
async function untilAnswered<T>(asked: Promise<T>, answered: () => boolean): Promise<T | undefined> {
  return Promise.race([asked, condition(answered).then(() => undefined)]);
}
