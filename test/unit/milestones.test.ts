import { describe, expect, it } from 'vitest';
import { milestoneAt, type MilestoneRecord } from '../../domain/vocabulary.js';

describe('a milestone moved on (milestoneAt)', () => {
  const due: MilestoneRecord = { status: 'inProgress', at: '2026-11-23T10:00:00.000Z', deadline: '2026-11-24T10:00:00.000Z' };

  it('done within its deadline keeps the deadline and is not missed', () => {
    expect(milestoneAt(due, 'done', new Date('2026-11-24T09:59:59.000Z'))).toEqual({
      status: 'done',
      at: '2026-11-24T09:59:59.000Z',
      deadline: '2026-11-24T10:00:00.000Z',
    });
  });

  it('done after its deadline is marked missed; another status past it is not', () => {
    const late = new Date('2026-11-24T10:00:01.000Z');
    expect(milestoneAt(due, 'done', late).deadlineMissed).toBe(true);
    expect(milestoneAt(due, 'skipped', late).deadlineMissed).toBeUndefined();
  });

  it('carries a detail when given, and an earlier one otherwise', () => {
    expect(milestoneAt({ ...due, detail: 'first' }, 'done', new Date(due.at!), 'second').detail).toBe('second');
    expect(milestoneAt({ ...due, detail: 'first' }, 'done', new Date(due.at!)).detail).toBe('first');
  });
});
