/**
 * Recall classes as data over HTTP: seeded after 21 CFR 7, read by product safety, changed by an
 * admin only within what a class may be (effectiveness levels and report cadences).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
let admin: Record<string, string>;

beforeAll(async () => {
  p = await startTestPlatform({ worker: false });
  admin = bearer(p.adminKey);
});
afterAll(() => p?.close());

const put = (payload: object) => p.app.inject({ method: 'PUT', url: '/api/v1/recallClasses/III', headers: admin, payload });
const classIII = {
  effectivenessLevel: 'C',
  effectivenessTargetPercent: 10,
  noticeUrgency: 'routine',
  reminderEvery: 'P14D',
  reportEvery: 'P28D',
};

describe('recall classes', () => {
  it('lists the three classes with their checks, reminders and report cadences', async () => {
    const safety = bearer(await p.keyFor('backoffice', { groups: ['product-safety'] }));
    const r = await p.app.inject({ method: 'GET', url: '/api/v1/recallClasses', headers: safety });
    expect(r.statusCode).toBe(200);
    expect(
      r
        .json()
        .map((c: { recallClass: string; effectivenessLevel: string; reportEvery: string }) => [
          c.recallClass,
          c.effectivenessLevel,
          c.reportEvery,
        ]),
    ).toEqual([
      ['I', 'A', 'P14D'],
      ['II', 'B', 'P21D'],
      ['III', 'C', 'P28D'],
    ]);
  });

  it('refuses a class that cannot be: a level with another target, reports outside 2 to 4 weeks, malformed cadences', async () => {
    for (const [change, message] of [
      [{ effectivenessLevel: 'A', effectivenessTargetPercent: 90 }, 'level A checks 100%'],
      [{ effectivenessLevel: 'B', effectivenessTargetPercent: 10 }, 'more than 10%'],
      [{ reportEvery: 'P7D' }, 'every 2 to 4 weeks'],
      [{ reminderEvery: 'weekly' }, 'every 1 to 28 days'],
    ] as const) {
      const r = await put({ ...classIII, ...change });
      expect(r.statusCode, JSON.stringify(change)).toBe(422);
      expect(r.json()).toMatchObject({ code: 'RECALL_CLASS_NOT_ALLOWED', message: expect.stringContaining(message) });
    }
  });

  it('lets an admin change a class within its bounds, and reads the change back', async () => {
    const changed = await put({ ...classIII, effectivenessLevel: 'D', effectivenessTargetPercent: 2, reportEvery: 'P21D' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      recallClass: 'III',
      effectivenessLevel: 'D',
      effectivenessTargetPercent: 2,
      reportEvery: 'P21D',
      updatedBy: expect.any(String),
    });
    const read = await p.app.inject({ method: 'GET', url: '/api/v1/recallClasses', headers: admin });
    expect(read.json().find((c: { recallClass: string }) => c.recallClass === 'III')).toMatchObject({ effectivenessLevel: 'D' });
    expect((await put(classIII)).statusCode).toBe(200);
  });
});
