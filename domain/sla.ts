/**
 * SLA clocks (seed 002; modelled on ServiceNow SLA definitions and Salesforce entitlement
 * milestones): response and resolution targets per case kind and severity, each measured in a
 * calendar (round the clock, or working hours with holidays), paused while the case waits on the
 * customer, with warnings before the target. Plain functions: the case workflow runs the clocks,
 * the API shows them, with the same arithmetic.
 */
import type { CaseKind, CaseSeverity, CaseStatus } from './vocabulary.js';
import { durationMs } from './cases.js';

export const slaMetrics = ['response', 'resolution'] as const;
export type SlaMetric = (typeof slaMetrics)[number];

/**
 * Working time. Days are 0 (Sunday) to 6 (Saturday) in the calendar's own time, which is UTC
 * plus a fixed offset (daylight saving is not modelled); `start`/`end` are minutes of that day;
 * holidays are local dates (YYYY-MM-DD).
 */
export interface Calendar {
  id: string;
  utcOffsetMinutes: number;
  workingDays: number[];
  start: number;
  end: number;
  holidays: string[];
}

export interface SlaDefinition {
  id: string;
  kind: CaseKind;
  severity: CaseSeverity;
  metric: SlaMetric;
  /** ISO 8601 duration of working time in the calendar, e.g. PT8H. */
  target: string;
  calendarId: string;
  /** CSL: a critical service level, penalised when missed; SLO: an objective, measured only (seed 002). */
  level: 'CSL' | 'SLO';
  /** Percentages of the target at which the owner group is warned. */
  warnAt: number[];
}

const minute = 60_000;
const day = 24 * 60 * minute;

/** The working windows of the local day that contains `utcMs`, and the days after, as UTC instants. */
function* windowsFrom(cal: Calendar, utcMs: number): Generator<[number, number]> {
  const offset = cal.utcOffsetMinutes * minute;
  let dayStart = Math.floor((utcMs + offset) / day) * day; // local midnight, in local ms
  // A calendar with no working time would never end; five years is beyond any target.
  for (let i = 0; i < 5 * 366; i++, dayStart += day) {
    const local = new Date(dayStart);
    if (!cal.workingDays.includes(local.getUTCDay())) continue;
    if (cal.holidays.includes(local.toISOString().slice(0, 10))) continue;
    yield [dayStart + cal.start * minute - offset, dayStart + cal.end * minute - offset];
  }
}

/** Working time between two instants. */
export function workingMsBetween(cal: Calendar, fromMs: number, toMs: number): number {
  let total = 0;
  if (toMs <= fromMs) return 0;
  for (const [start, end] of windowsFrom(cal, fromMs)) {
    if (start >= toMs) break;
    total += Math.max(0, Math.min(end, toMs) - Math.max(start, fromMs));
  }
  return total;
}

/** The instant at which `ms` of working time has passed since `fromMs`. */
export function addWorkingMs(cal: Calendar, fromMs: number, ms: number): number {
  let left = ms;
  for (const [start, end] of windowsFrom(cal, fromMs)) {
    const from = Math.max(start, fromMs);
    if (end <= from) continue;
    if (left <= end - from) return from + left;
    left -= end - from;
  }
  throw new Error(`calendar ${cal.id} has no working time to reach the target`);
}

/** Which statuses each clock runs in; it stops for good at its end status (response: any reply; resolution: resolved). */
export const clockRuns: Record<SlaMetric, (s: CaseStatus) => boolean> = {
  response: (s) => s === 'gatheringInfo',
  resolution: (s) => s === 'gatheringInfo' || s === 'open',
};
/** Statuses that end a clock with a result: met, or breached if it was already late. Pending only pauses it. */
export const clockStops: Record<SlaMetric, (s: CaseStatus) => boolean> = {
  response: (s) => s !== 'gatheringInfo' && s !== 'cancelled',
  resolution: (s) => s === 'resolved' || s === 'closed',
};

/** A clock as the case keeps it and shows it. */
export interface SlaClock {
  metric: SlaMetric;
  definitionId: string;
  target: string;
  level: 'CSL' | 'SLO';
  calendarId: string;
  /** Working time counted up to `runningSince` (or in all, when not running). */
  countedMs: number;
  runningSince: string | null;
  /** Time the clock stood still while the case waited on the customer. */
  pausedMs: number;
  pausedSince: string | null;
  warnings: { percent: number; at: string }[];
  result: 'met' | 'breached' | null;
  breachedAt: string | null;
  stoppedAt: string | null;
}

/** Working time on the clock at `nowMs`. */
export const elapsedMs = (c: SlaClock, cal: Calendar, nowMs: number) =>
  c.countedMs + (c.runningSince ? workingMsBetween(cal, Date.parse(c.runningSince), nowMs) : 0);

/** When a running clock reaches `ms` of working time (null when it is not running). */
export function whenElapsed(c: SlaClock, cal: Calendar, ms: number): number | null {
  if (!c.runningSince) return null;
  return addWorkingMs(cal, Date.parse(c.runningSince), Math.max(0, ms - c.countedMs));
}

const targetMsOf = (iso: string) => durationMs(iso)!;

/**
 * A case's clocks, driven by its status changes and by time: pure state the case workflow keeps,
 * given the instants (workflow time) at which things happen.
 */
export function slaClocks(terms: { definitions: SlaDefinition[]; calendars: Calendar[] }, startedAtMs: number, carried?: SlaClock[]) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const clocks: SlaClock[] =
    carried?.map((c) => ({ ...c, warnings: [...c.warnings] })) ??
    terms.definitions.map((d) => ({
      metric: d.metric,
      definitionId: d.id,
      target: d.target,
      level: d.level,
      calendarId: d.calendarId,
      countedMs: 0,
      runningSince: iso(startedAtMs),
      pausedMs: 0,
      pausedSince: null,
      warnings: [],
      result: null,
      breachedAt: null,
      stoppedAt: null,
    }));
  const calendarOf = (c: SlaClock) => terms.calendars.find((k) => k.id === c.calendarId)!;
  const definitionOf = (c: SlaClock) => terms.definitions.find((d) => d.id === c.definitionId)!;
  /** Thresholds (percent of the target) still to come for a clock: its warnings, then the breach. */
  const ahead = (c: SlaClock) => [
    ...definitionOf(c)
      .warnAt.filter((p) => !c.warnings.some((w) => w.percent === p))
      .sort((a, b) => a - b),
    ...(c.breachedAt ? [] : [100]),
  ];
  const dueOf = (c: SlaClock, percent: number) => whenElapsed(c, calendarOf(c), (targetMsOf(c.target) * percent) / 100);

  return {
    clocks,

    /** The case's status changed at `nowMs`: clocks run, pause (pending), stop with a result, or start again (reopen). */
    onStatus(next: CaseStatus, nowMs: number) {
      for (const c of clocks) {
        const running = c.runningSince !== null;
        const hold = () => {
          c.countedMs = elapsedMs(c, calendarOf(c), nowMs);
          c.runningSince = null;
        };
        if (c.pausedSince) {
          c.pausedMs += nowMs - Date.parse(c.pausedSince);
          c.pausedSince = null;
        }
        if (next === 'cancelled') {
          if (running) hold();
          c.stoppedAt ??= iso(nowMs);
        } else if (clockStops[c.metric](next)) {
          if (running) hold();
          if (!c.stoppedAt) {
            c.stoppedAt = iso(nowMs);
            c.result = c.breachedAt ? 'breached' : 'met';
          }
        } else if (clockRuns[c.metric](next)) {
          if (!running && (c.result === null || c.metric === 'resolution')) {
            // A reopened case's resolution clock goes on from where it stopped.
            c.runningSince = iso(nowMs);
            c.stoppedAt = null;
            c.result = c.breachedAt ? 'breached' : null;
          }
        } else if (running) {
          hold();
          c.pausedSince = iso(nowMs);
        }
      }
    },

    /** The earliest instant a warning or a breach falls due, or null when no clock runs. */
    nextDueMs(): number | null {
      const due = clocks.flatMap((c) => ahead(c).map((p) => dueOf(c, p))).filter((d): d is number => d !== null);
      return due.length ? Math.min(...due) : null;
    },

    /** Records every warning and breach due by `nowMs`; answers them, for the notices. */
    fire(nowMs: number): { clock: SlaClock; percent: number }[] {
      const fired: { clock: SlaClock; percent: number }[] = [];
      for (const c of clocks)
        for (const percent of ahead(c)) {
          const due = dueOf(c, percent);
          if (due === null || due > nowMs) break;
          if (percent === 100) c.breachedAt = iso(due);
          else c.warnings.push({ percent, at: iso(due) });
          fired.push({ clock: c, percent });
        }
      return fired;
    },

    snapshot: (): SlaClock[] => clocks.map((c) => ({ ...c, warnings: [...c.warnings] })),
  };
}
