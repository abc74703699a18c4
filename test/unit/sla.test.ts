/** Working-time arithmetic and the SLA clocks' life, without a server. */
import { describe, expect, it } from 'vitest';
import { defaultCalendars, defaultSlaDefinitions } from '../../catalog/sla.js';
import { addWorkingMs, slaClocks, workingMsBetween } from '../../domain/sla.js';

const office = defaultCalendars.find((c) => c.id === 'office')!;
const roundTheClock = defaultCalendars.find((c) => c.id === '24x7')!;
const h = 3600_000;
const at = (iso: string) => Date.parse(iso);

describe('working time', () => {
  it('carries office hours over the weekend: Friday 15:00 plus 8 h is Monday 15:00 (office time, UTC+1)', () => {
    expect(addWorkingMs(office, at('2026-11-27T14:00:00Z'), 8 * h)).toBe(at('2026-11-30T14:00:00Z'));
    expect(workingMsBetween(office, at('2026-11-27T14:00:00Z'), at('2026-11-30T14:00:00Z'))).toBe(8 * h);
  });

  it('skips holidays and starts counting at the next opening', () => {
    // Thursday 24 December 16:00 office time; Friday 25 is a holiday.
    expect(addWorkingMs(office, at('2026-12-24T15:00:00Z'), 2 * h)).toBe(at('2026-12-28T09:00:00Z'));
    // Saturday night: the first working hour is Monday 09:00.
    expect(addWorkingMs(office, at('2026-11-28T22:00:00Z'), 1 * h)).toBe(at('2026-11-30T09:00:00Z'));
  });

  it('counts round the clock in 24x7', () => {
    expect(addWorkingMs(roundTheClock, at('2026-11-27T23:30:00Z'), 1 * h)).toBe(at('2026-11-28T00:30:00Z'));
    expect(workingMsBetween(roundTheClock, at('2026-11-27T00:00:00Z'), at('2026-11-29T00:00:00Z'))).toBe(48 * h);
  });
});

describe('SLA clocks', () => {
  const terms = {
    definitions: defaultSlaDefinitions.filter((d) => d.kind === 'defect' && d.severity === 'critical'),
    calendars: defaultCalendars,
  };

  it('pause while pending, stop on resolution, and go on after a reopen; warnings then the breach', () => {
    const start = at('2026-11-27T10:00:00Z');
    const s = slaClocks(terms, start);
    expect(s.nextDueMs()).toBe(start + 0.5 * h); // 50% of the 1 h response target
    s.onStatus('open', start + 0.25 * h);
    expect(s.clocks[0]).toMatchObject({ metric: 'response', result: 'met' });
    s.onStatus('pending', start + 1 * h);
    expect(s.fire(start + 10 * h)).toEqual([]); // paused: nothing falls due
    s.onStatus('open', start + 11 * h);
    expect(s.clocks[1]!.pausedMs).toBe(10 * h);
    // 1 h counted of 8: 50% at 4 h, 75% at 6 h, the breach at 8 h of running time.
    expect(s.fire(start + 18 * h).map((f) => f.percent)).toEqual([50, 75, 100]);
    expect(s.clocks[1]!.breachedAt).toBe(new Date(start + 18 * h).toISOString());
    s.onStatus('resolved', start + 19 * h);
    expect(s.clocks[1]!.result).toBe('breached');
    s.onStatus('open', start + 20 * h);
    expect(s.clocks[1]).toMatchObject({ result: 'breached', stoppedAt: null });
    expect(s.nextDueMs()).toBeNull(); // nothing left to warn of
  });
});
