/** The case rules without a server: commands by status, the most specific escalation rule, ISO durations. */
import { describe, expect, it } from 'vitest';
import { caseCommands, caseCommandVerdict, durationMs, escalationRuleFor } from '../../domain/cases.js';
import { caseStatuses } from '../../domain/vocabulary.js';

describe('case commands', () => {
  it('takes each command only in the statuses the life cycle allows', () => {
    const allowed = Object.fromEntries(
      caseCommands.map((command) => [
        command,
        caseStatuses.filter((status) => caseCommandVerdict({ caseId: 'TT-1', status, kind: 'defect' }, command).ok),
      ]),
    );
    expect(allowed).toEqual({
      open: ['gatheringInfo'],
      pending: ['open'],
      resume: ['pending'],
      resolve: ['gatheringInfo', 'open'],
      close: ['resolved'],
      reopen: ['resolved'],
      cancel: ['gatheringInfo', 'open', 'pending'],
      notes: [...caseStatuses],
      triage: ['gatheringInfo'],
    });
    expect(caseCommandVerdict({ caseId: 'TT-1', status: 'gatheringInfo', kind: 'billing' }, 'triage')).toMatchObject({
      ok: false,
      code: 'TRIAGE_NOT_FOR_KIND',
    });
  });
});

describe('escalation rules', () => {
  const rules = [
    { id: 'defect', kind: 'defect', productId: null, symptom: null },
    { id: 'defect.datahost', kind: 'defect', productId: 'datahost', symptom: null },
    { id: 'defect.datahost.site-down', kind: 'defect', productId: 'datahost', symptom: 'site-down' },
    { id: 'billing', kind: 'billing', productId: null, symptom: null },
  ] as const;

  it('picks the most specific match: product and symptom, then product, then kind', () => {
    const pick = (c: Parameters<typeof escalationRuleFor>[1]) => escalationRuleFor(rules, c)?.id;
    expect(pick({ kind: 'defect', productId: 'datahost', symptom: 'site-down' })).toBe('defect.datahost.site-down');
    expect(pick({ kind: 'defect', productId: 'datahost', symptom: 'ftp-unreachable' })).toBe('defect.datahost');
    expect(pick({ kind: 'defect', productId: 'mailpro', symptom: 'site-down' })).toBe('defect');
    expect(pick({ kind: 'billing' })).toBe('billing');
    expect(pick({ kind: 'sales' })).toBeUndefined();
  });

  it('reads ISO 8601 durations in weeks, days and time, and refuses anything else', () => {
    expect(durationMs('P7D')).toBe(7 * 86400_000);
    expect(durationMs('PT4H')).toBe(4 * 3600_000);
    expect(durationMs('P1W')).toBe(7 * 86400_000);
    expect(durationMs('P1DT12H30M')).toBe(86400_000 + 12.5 * 3600_000);
    for (const bad of ['7 days', 'P', 'PT', 'P1Y', '-P1D', '']) expect(durationMs(bad), bad).toBeUndefined();
  });
});
