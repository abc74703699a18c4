/**
 * Commands the API gives to a workflow as updates, sent so that a retry changes nothing.
 *
 * Every such update carries an id derived from the request, and Temporal keeps one update per id
 * and run: identical requests in flight at once share its one execution (one event, one row) and
 * its answer; the same id sent after it finished gets the stored outcome, success or failure, even
 * once the workflow has closed. A refusal by a validator is not stored: the same id is validated
 * afresh. (test/api/repeated-commands.test.ts shows each of these on the dev server.)
 *
 * The id is the caller's Idempotency-Key when one is sent, else the request itself (who asks for
 * what) with the subject's revision as read before sending. The revision is there because many
 * commands may rightly come again with the same body once the subject has moved on (a case put
 * pending, resumed, put pending again; claim, release, claim; a note added twice on purpose):
 * under the bare request Temporal would answer those with the first one's outcome and do nothing.
 *
 * So a resend that comes after the first one took effect reads the new revision and is a new
 * update, which the rules refuse (the task is started already, the case is pending already). A
 * refused command is therefore looked at once more: when the change that made its subject what it
 * is now was this very request (same caller, same body), it is answered as the first one was.
 * Only refused requests are looked at this way, so a request the rules take is never swallowed;
 * a request that may rightly repeat while the rules still take it (a note) is deduplicated only
 * by its Idempotency-Key.
 */
import { createHash } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { refusalIn } from './errors.js';

export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Names the request: sent again with the same key and body (after a lost answer, say), it is taken once'),
});

export interface Command {
  /** The route's command, e.g. `claim`, `acceptance`, `pending`. */
  name: string;
  /** What it is given to: a task, order, RFB, case or recall id. */
  subject: string;
  /** What makes two requests the same one: what is asked and, where that matters, by whom. */
  request: unknown;
  /** The subject as read before sending (a version, a count of events); null for a command taken once. */
  revision: unknown;
  /** The Idempotency-Key header, and the key id of the caller who sent it (keys are each caller's own). */
  idempotencyKey: string | undefined;
  caller: string;
}

/** JSON with object keys sorted, so the same request written in another key order is the same request. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether two requests (or a request and what was recorded of it) are the same; absent and undefined fields are alike. */
export const sameRequest = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** A fingerprint of a request: the same for the same request, whatever the order of its keys. */
export const fingerprint = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);

/** A fingerprint of the command as one request: also the id of a row the API writes for it. */
export function commandDigest(c: Command): string {
  const seed =
    c.idempotencyKey === undefined
      ? { request: c.request, revision: c.revision ?? null }
      : { request: c.request, caller: c.caller, idempotencyKey: c.idempotencyKey };
  return fingerprint({ name: c.name, subject: c.subject, ...seed });
}

/** The update id of a command: readable in the workflow's history, unique to the request. */
export const commandUpdateId = (c: Command) => `${c.name}:${c.subject}:${commandDigest(c)}`;

/**
 * Runs a command: its checks against the rows and its update. When it is refused (by the rows,
 * the workflow, or a workflow that has ended), it is answered as done if `isRepeat` finds that the
 * subject's latest change was this very request; any other refusal stands.
 *
 * A refusal by the workflow is asked once more first. A workflow may be a step behind its own
 * rows: a write made by a local activity of a workflow task whose worker died before completing
 * it is on the row (which invited this command) but not in history, until the next worker runs
 * that task again; the update delivered with that task finds the workflow where it was before the
 * write, and is refused. The refusal is answered with the task's completion, by which time the
 * workflow is where its rows are (`npm run chaos` found the 409s this prevents).
 */
export async function runCommand(command: () => Promise<void>, isRepeat: () => Promise<boolean>): Promise<void> {
  try {
    await command();
  } catch (first) {
    let err = first;
    if (first instanceof WorkflowUpdateFailedError && refusalIn(first)) {
      try {
        return await command();
      } catch (again) {
        err = again;
      }
    }
    const refusal = refusalIn(err);
    if (!refusal || !(await isRepeat())) throw err;
  }
}

/**
 * Gives the workflow once more a command its rows say was taken (an `isRepeat` that found the
 * resend calls it), under the first request's update id where the route can rebuild it. Temporal
 * answers a known id with its stored outcome and does nothing. But an update whose handler's
 * local activity had written the rows is lost from history when the Temporal server dies before
 * storing it: the rows say done, every resend was answered from them, and the workflow waited for
 * the command for good (`npm run chaos` found such orders). Given again, the workflow takes it now.
 * A refusal, or a workflow that has ended, is the ordinary answer (it had the command): ignored.
 */
export async function giveAgain(update: () => Promise<unknown>): Promise<void> {
  try {
    await update();
  } catch (err) {
    if (!refusalIn(err)) throw err;
  }
}
