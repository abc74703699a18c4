/** The recall's pure rules: the class a hazard suggests, effectiveness maths, the estimate, which commands a status takes. */
import { describe, expect, it } from 'vitest';
import { checksNeeded, effectiveness, estimatedCompletion, recallCommandVerdict } from '../../domain/recalls.js';
import { suggestedRecallClass, taskOutcomeProblem } from '../../domain/vocabulary.js';

const day = 24 * 3600_000;

describe('hazard assessment', () => {
  it('suggests class I only for likely serious harm, III when harm is unlikely or minor', () => {
    expect(suggestedRecallClass('likely', 'serious')).toBe('I');
    expect(suggestedRecallClass('remote', 'serious')).toBe('II');
    expect(suggestedRecallClass('likely', 'temporary')).toBe('II');
    expect(suggestedRecallClass('unlikely', 'serious')).toBe('III');
    expect(suggestedRecallClass('likely', 'minor')).toBe('III');
  });

  it('asks for a rationale when the class departs from the suggestion, and for a refused termination', () => {
    expect(taskOutcomeProblem('hazardAssessment', { likelihood: 'likely', consequence: 'serious', class: 'I' })).toBeUndefined();
    expect(taskOutcomeProblem('hazardAssessment', { likelihood: 'likely', consequence: 'serious', class: 'II' })).toMatch(/rationale/);
    expect(
      taskOutcomeProblem('hazardAssessment', {
        likelihood: 'likely',
        consequence: 'serious',
        class: 'II',
        rationale: 'few units in the field',
      }),
    ).toBeUndefined();
    expect(taskOutcomeProblem('hazardAssessment', { likelihood: 'often', consequence: 'serious', class: 'I' })).toMatch(/likelihood/);
    expect(taskOutcomeProblem('recallTermination', { approved: true })).toBeUndefined();
    expect(taskOutcomeProblem('recallTermination', { approved: false })).toMatch(/rationale/);
    expect(taskOutcomeProblem('recallTermination', {})).toMatch(/approved/);
  });
});

describe('effectiveness', () => {
  it('counts checks against the level, rounding the parties needed up', () => {
    expect(checksNeeded(300, 100)).toBe(300);
    expect(checksNeeded(3, 10)).toBe(1);
    expect(checksNeeded(100, 0)).toBe(0);
    const counts = { affected: 300, notified: 300, responded: 200, remedied: 150, declined: 0 };
    expect(effectiveness(counts, 100)).toEqual({
      notifiedPercent: 100,
      respondedPercent: 66.7,
      remediedPercent: 50,
      checkedPercent: 66.7,
      targetPercent: 100,
      targetMet: false,
    });
    expect(effectiveness(counts, 50).targetMet).toBe(true);
    expect(effectiveness({ ...counts, responded: 0 }, 0).targetMet).toBe(true);
    expect(effectiveness(counts, null).targetMet).toBe(false);
    // Parties that declined were reached, but checked nothing: everyone declining meets no target.
    const refused = { affected: 20, notified: 20, responded: 20, remedied: 0, declined: 20 };
    expect(effectiveness(refused, 100)).toMatchObject({ respondedPercent: 100, checkedPercent: 0, targetMet: false });
    expect(effectiveness({ ...refused, declined: 1 }, 95).targetMet).toBe(true);
  });

  it('estimates completion at the pace since the notices went out', () => {
    const notified = Date.parse('2026-01-01T00:00:00Z');
    const counts = { affected: 100, notified: 100, responded: 25, remedied: 0, declined: 0 };
    // 25 checks in 5 days: 75 more take 15 days.
    expect(estimatedCompletion(counts, 100, notified, notified + 5 * day)).toBe('2026-01-21T00:00:00.000Z');
    expect(estimatedCompletion({ ...counts, responded: 0 }, 100, notified, notified + day)).toBeNull();
    expect(estimatedCompletion(counts, 10, notified, notified + day)).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('recall commands', () => {
  it('cancels until the end; asks for termination only while monitored', () => {
    expect(recallCommandVerdict('R', 'assessing', 'cancel').ok).toBe(true);
    expect(recallCommandVerdict('R', 'terminationRequested', 'cancel').ok).toBe(true);
    expect(recallCommandVerdict('R', 'terminated', 'cancel')).toMatchObject({ ok: false, code: 'RECALL_STATUS_CONFLICT' });
    expect(recallCommandVerdict('R', 'monitoring', 'terminate').ok).toBe(true);
    expect(recallCommandVerdict('R', 'notifying', 'terminate').ok).toBe(false);
    expect(recallCommandVerdict('R', 'terminationRequested', 'terminate')).toMatchObject({ ok: false, message: /already/ });
  });
});
