import { describe, expect, it } from 'vitest';
import { billedInPhase } from '../../activities/billing.js';

const item = {
  offeringId: 'datahost',
  quantity: 2,
  componentIds: ['web', 'ssl', 'monitoring', 'disk'],
  base: { oneTimeCents: 1000, recurringCents: 500 },
  components: [
    { id: 'web', fulfilment: 'auto-phase-1', oneTimeCents: 0, recurringCents: 0 },
    { id: 'ssl', fulfilment: 'auto-phase-1', oneTimeCents: 300, recurringCents: 100 },
    { id: 'monitoring', fulfilment: 'auto-phase-2', oneTimeCents: 200, recurringCents: 50 },
    { id: 'disk', fulfilment: 'manual', oneTimeCents: 400, recurringCents: 25 },
  ],
  oneTimeCents: 2 * 1900,
  recurringCents: 2 * 675,
} as const;

describe('what each RFB bills', () => {
  it('bills the package and its phase-1 components with RFB 1, the rest with RFB 2, together the whole item', () => {
    const one = billedInPhase(1, { ...item, componentIds: [...item.componentIds], components: [...item.components] })!;
    const two = billedInPhase(2, { ...item, componentIds: [...item.componentIds], components: [...item.components] })!;
    expect(one).toEqual({
      offeringId: 'datahost',
      quantity: 2,
      componentIds: ['web', 'ssl'],
      oneTimeCents: 2 * 1300,
      recurringCents: 2 * 600,
    });
    expect(two).toEqual({
      offeringId: 'datahost',
      quantity: 2,
      componentIds: ['monitoring', 'disk'],
      oneTimeCents: 2 * 600,
      recurringCents: 2 * 75,
    });
    expect(one.oneTimeCents + two.oneTimeCents).toBe(item.oneTimeCents);
    expect(one.recurringCents + two.recurringCents).toBe(item.recurringCents);
  });

  it('bills nothing in phase 2 for an item whose phase 2 delivers nothing', () => {
    const phaseOneOnly = { ...item, componentIds: ['web'], components: [item.components[0]] };
    expect(billedInPhase(2, phaseOneOnly)).toBeUndefined();
  });

  it('bills an order entered before per-component prices whole, with RFB 1 only', () => {
    const old = { ...item, componentIds: [...item.componentIds], base: null, components: null };
    expect(billedInPhase(1, old)).toMatchObject({ componentIds: item.componentIds, oneTimeCents: item.oneTimeCents });
    expect(billedInPhase(2, old)).toBeUndefined();
  });
});
