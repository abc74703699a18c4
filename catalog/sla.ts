/**
 * The SLA targets and calendars the platform ships with (seed 002 names CSLs and SLOs but no
 * figures; these are ours). Seeded once; a case fixes its targets when it is entered.
 */
import type { Calendar, SlaDefinition } from '../domain/sla.js';
import { caseKinds, caseSeverities, type CaseKind, type CaseSeverity } from '../domain/vocabulary.js';

export const defaultCalendars: Calendar[] = [
  { id: '24x7', utcOffsetMinutes: 0, workingDays: [0, 1, 2, 3, 4, 5, 6], start: 0, end: 24 * 60, holidays: [] },
  {
    // Office hours in Spain's winter time, Monday to Friday, with the national holidays around the new year.
    id: 'office',
    utcOffsetMinutes: 60,
    workingDays: [1, 2, 3, 4, 5],
    start: 9 * 60,
    end: 17 * 60,
    holidays: ['2026-12-08', '2026-12-25', '2027-01-01', '2027-01-06'],
  },
];

type Targets = { response: string; resolution: string; calendarId: string; level: 'CSL' | 'SLO' };
/** Critical defects are measured round the clock and penalised; the rest in office hours. */
const targets = (kind: CaseKind, severity: CaseSeverity): Targets => {
  if (kind === 'defect' && severity === 'critical') return { response: 'PT1H', resolution: 'PT8H', calendarId: '24x7', level: 'CSL' };
  if (kind === 'defect' && severity === 'major') return { response: 'PT4H', resolution: 'PT16H', calendarId: 'office', level: 'CSL' };
  return { response: 'PT8H', resolution: 'PT40H', calendarId: 'office', level: 'SLO' };
};

export const defaultSlaDefinitions: SlaDefinition[] = caseKinds.flatMap((kind) =>
  caseSeverities.flatMap((severity) => {
    const t = targets(kind, severity);
    return (['response', 'resolution'] as const).map((metric) => ({
      id: `${kind}.${severity}.${metric}`,
      kind,
      severity,
      metric,
      target: t[metric],
      calendarId: t.calendarId,
      level: t.level,
      warnAt: [50, 75],
    }));
  }),
);
