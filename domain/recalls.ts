/**
 * The rules of a recall's class (seed 004; 21 CFR 7 where the seed is silent): the share of
 * parties an effectiveness check must reach per level, and the cadences a class may take.
 * Plain functions: the API checks a class change with them, the recall workflow will apply them.
 */
import { durationMs } from './cases.js';
import type { EffectivenessLevel, NoticeUrgency, RecallClass, RecallStatus } from './vocabulary.js';

export interface RecallClassRule {
  recallClass: RecallClass;
  effectivenessLevel: EffectivenessLevel;
  /** Percent of affected parties the effectiveness checks must reach. */
  effectivenessTargetPercent: number;
  noticeUrgency: NoticeUrgency;
  /** ISO 8601: how often non-responders are reminded. */
  reminderEvery: string;
  /** ISO 8601: how often a status report goes to the regulator (every 2 to 4 weeks). */
  reportEvery: string;
  description: string;
}

const day = 24 * 3600_000;

/** What a level's target may be: A is all, C a tenth, D a fiftieth, E none; B anything between C and A. */
export function effectivenessTargetProblem(level: EffectivenessLevel, percent: number): string | undefined {
  const fixed: Partial<Record<EffectivenessLevel, number>> = { A: 100, C: 10, D: 2, E: 0 };
  if (level in fixed) return percent === fixed[level] ? undefined : `level ${level} checks ${fixed[level]}% of the parties`;
  return percent > 10 && percent < 100 ? undefined : 'level B checks more than 10% and less than 100% of the parties';
}

/** Why a class rule cannot be, or undefined: its target, reminders (1 to 28 days), reports (14 to 28 days). */
export function recallClassProblem(
  r: Pick<RecallClassRule, 'effectivenessLevel' | 'effectivenessTargetPercent' | 'reminderEvery' | 'reportEvery'>,
) {
  const reminder = durationMs(r.reminderEvery);
  const report = durationMs(r.reportEvery);
  return (
    effectivenessTargetProblem(r.effectivenessLevel, r.effectivenessTargetPercent) ??
    (reminder === undefined || reminder < day || reminder > 28 * day
      ? 'reminders go every 1 to 28 days (ISO 8601, e.g. P7D)'
      : undefined) ??
    (report === undefined || report < 14 * day || report > 28 * day
      ? 'status reports go to the regulator every 2 to 4 weeks (P14D to P28D)'
      : undefined)
  );
}

/** A recall's figures as the workflow reads them from the notices (responses are written by the API). */
export interface RecallCounts {
  affected: number;
  notified: number;
  /** Parties that answered. */
  responded: number;
  /** Parties that returned or remedied. */
  remedied: number;
  /** Parties whose answer is that they decline: reached, but no effectiveness check done. */
  declined: number;
}

/**
 * Effectiveness checks done (21 CFR 7.42(b)(3): the party received the notice and acted on it):
 * every answer but a refusal. A recall everyone declined is not effective.
 */
export const checksDone = (c: RecallCounts) => c.responded - c.declined;

const percentOf = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

/** Checks the class's level asks for: the share of affected parties, rounded up. */
export const checksNeeded = (affected: number, targetPercent: number) => Math.ceil((affected * targetPercent) / 100);

export function effectiveness(c: RecallCounts, targetPercent: number | null) {
  return {
    notifiedPercent: percentOf(c.notified, c.affected),
    respondedPercent: percentOf(c.responded, c.affected),
    remediedPercent: percentOf(c.remedied, c.affected),
    checkedPercent: percentOf(checksDone(c), c.affected),
    targetPercent,
    targetMet: targetPercent !== null && checksDone(c) >= checksNeeded(c.affected, targetPercent),
  };
}

/**
 * When the checks will reach the target at the pace since the notices went out; null while
 * nobody has answered (no pace to go by), the time of `now` once the target is met.
 */
export function estimatedCompletion(c: RecallCounts, targetPercent: number, notifiedAtMs: number, nowMs: number): string | null {
  const needed = checksNeeded(c.affected, targetPercent);
  const done = checksDone(c);
  if (done >= needed) return new Date(nowMs).toISOString();
  if (done === 0 || nowMs <= notifiedAtMs) return null;
  const perMs = done / (nowMs - notifiedAtMs);
  return new Date(nowMs + Math.ceil((needed - done) / perMs)).toISOString();
}

export const recallCommands = ['cancel', 'terminate'] as const;
export type RecallCommand = (typeof recallCommands)[number];
export const recallRefusals = ['RECALL_STATUS_CONFLICT', 'RECALL_CONFLICT'] as const;
export type RecallRefusal = (typeof recallRefusals)[number];

/**
 * Whether a recall in `status` takes `command`: a recall raised in error is cancelled until it
 * ends; termination is asked for while it is monitored (once the notices are out).
 */
export function recallCommandVerdict(
  recallId: string,
  status: RecallStatus,
  command: RecallCommand,
): { ok: true } | { ok: false; code: RecallRefusal; message: string } {
  const refuse = (why: string) => ({ ok: false as const, code: 'RECALL_STATUS_CONFLICT' as const, message: `Recall ${recallId} ${why}` });
  if (status === 'terminated' || status === 'cancelled') return refuse(`is ${status}`);
  if (command === 'terminate' && status === 'terminationRequested') return refuse('already awaits a termination decision');
  if (command === 'terminate' && status !== 'monitoring')
    return refuse(`is ${status}: termination is asked for once every notice is out and the recall is monitored`);
  return { ok: true };
}
