/**
 * The rules of a recall's class (seed 004; 21 CFR 7 where the seed is silent): the share of
 * parties an effectiveness check must reach per level, and the cadences a class may take.
 * Plain functions: the API checks a class change with them, the recall workflow will apply them.
 */
import { durationMs } from './cases.js';
import type { EffectivenessLevel, NoticeUrgency, RecallClass } from './vocabulary.js';

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
