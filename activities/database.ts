/**
 * An activity that calls an external system spends its retry budget on that system's failures
 * only: while the database cannot be reached, its statements are retried here, within the
 * attempt (heartbeating, so the attempt is not taken for dead), instead of failing the attempt.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/activity';
import { isDatabaseUnavailable, isUniqueViolation } from '../db/client.js';

/** A blip of a few minutes is ridden out; a longer outage fails the attempt as any error would. */
const patienceMs = 5 * 60_000;

export async function whileDatabaseDown<T>(statement: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let n = 0; ; n++) {
    try {
      return await statement();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() - started > patienceMs) throw err;
      const context = Context.current();
      context.heartbeat();
      // Rejects when the activity is cancelled, so a cancelled order is not held up by the outage.
      await context.sleep(Math.min(250 * 2 ** n, 10_000));
    }
  }
}

/**
 * Writes what a request submitted (an order, a case); a unique key taken by another one is a
 * conflict no retry cures, so it fails for good instead of retrying forever.
 */
export async function conflictIsFinal<T>(write: () => Promise<T>, what: string, type: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err))
      throw ApplicationFailure.nonRetryable(`${what} cannot be recorded as submitted: ${(err as Error).message}`, type);
    throw err;
  }
}
