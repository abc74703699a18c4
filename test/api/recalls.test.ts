/**
 * Recalls over HTTP with a real worker on the dev server: initiation and its refusals and
 * idempotency, the hazard assessed through the inbox, notices read and answered by whom may,
 * termination asked for, and a cancel that withdraws the recall from everyone notified.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationSimulator } from '../../activities/adapters/notification.js';
import { RegulatorSimulator } from '../../activities/adapters/regulator.js';
import { seedParties } from '../../db/seed/parties.js';
import { bulkTransaction, type Db } from '../../db/client.js';
import { serviceInstances } from '../../db/schema.js';
import { eq, sql } from 'drizzle-orm';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { webSpaceRecall } from '../support/recalls.js';

let p: TestPlatform;
let safety: Record<string, string>;
let provisioning: Record<string, string>;
let agent: Record<string, string>;
let support: Record<string, string>;
let admin: Record<string, string>;
const notification = new NotificationSimulator();
const regulator = new RegulatorSimulator();
let customers: string[];
let serviceIds: string[];

beforeAll(async () => {
  p = await startTestPlatform({ notification, regulator });
  safety = bearer(await p.keyFor('backoffice', { groups: ['product-safety'] }));
  provisioning = bearer(await p.keyFor('backoffice', { groups: ['provisioning'] }));
  agent = bearer(await p.keyFor('agent'));
  support = bearer(await p.keyFor('support'));
  admin = bearer(p.adminKey);
  customers = await seedParties(p.database.db, {
    prefix: `A${randomUUID().slice(0, 8)}`,
    count: 30,
    productId: 'datahost',
    componentId: 'datahost.web-space',
    activatedAt: new Date('2026-03-01T09:00:00Z'),
  });
  // The sixth party holds two instances (answers count against what a party holds).
  const [held] = await p.database.db
    .select()
    .from(serviceInstances)
    .where(eq(serviceInstances.id, `SVC-${customers[5]}`));
  await p.database.db.insert(serviceInstances).values({ ...held!, id: `SVC-${customers[5]}-2` });
  serviceIds = [...customers.map((c) => `SVC-${c}`), `SVC-${customers[5]}-2`];
});
afterAll(() => p?.close());

const post = (url: string, headers: Record<string, string>, payload: object = {}) =>
  p.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload });
const get = (url: string, headers: Record<string, string>) => p.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const recallOf = async (id: string) => (await get(`/recalls/${id}`, support)).json();

describe('recalls', () => {
  it('refuses a recall nobody may start, of nothing, or of nobody', async () => {
    const body = webSpaceRecall(serviceIds);
    expect((await post('/recalls', provisioning, body)).json()).toMatchObject({ code: 'NOT_IN_GROUP' });
    expect((await post('/recalls', agent, body)).statusCode).toBe(403);
    const unknown = await post('/recalls', safety, { ...body, productId: 'no-such-product' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([422, 'UNKNOWN_OFFERING']);
    const component = await post('/recalls', safety, { ...body, componentId: 'voip.handset' });
    expect([component.statusCode, component.json().code]).toEqual([422, 'UNKNOWN_COMPONENT']);
    const nobody = await post('/recalls', safety, webSpaceRecall(['SVC-not-there']));
    expect([nobody.statusCode, nobody.json().code]).toEqual([422, 'NO_AFFECTED_PARTIES']);
    // Text no record can hold is refused at the door, not after a 202.
    const nul = await post('/recalls', safety, { ...body, reason: 'bad\u0000firmware' });
    expect([nul.statusCode, nul.json().code, nul.json().details]).toEqual([400, 'VALIDATION_FAILED', { path: 'reason' }]);
    // However deep a body nests, it is read without running out of stack.
    const deep = await p.app.inject({
      method: 'POST',
      url: '/api/v1/recalls',
      headers: { ...safety, 'content-type': 'application/json' },
      payload: `{"reason": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    });
    expect([deep.statusCode, deep.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const backwards = await post('/recalls', safety, { ...body, scope: { activatedFrom: '2026-05-01', activatedTo: '2026-04-01' } });
    expect([backwards.statusCode, backwards.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    // Dates that hold none of the instances reach nobody either.
    const before = await post('/recalls', safety, { ...body, scope: { serviceIds, activatedTo: '2026-02-28' } });
    expect(before.json().code).toBe('NO_AFFECTED_PARTIES');
  });

  it('initiates, assesses, notifies; parties answer theirs; termination asked; cancelled, it is withdrawn from the notified', async () => {
    const key = { ...safety, 'idempotency-key': `recall-${randomUUID()}` };
    const body = webSpaceRecall(serviceIds, { scope: { serviceIds, activatedFrom: '2026-03-01', activatedTo: '2026-03-01' } });
    const created = await post('/recalls', key, body);
    expect(created.statusCode, created.body).toBe(201);
    const recall = created.json();
    expect(recall).toMatchObject({ productId: 'datahost', counts: { affected: 30, notified: 0 }, affectedInstances: 31 });
    expect(['initiated', 'assessing']).toContain(recall.status);
    expect(created.headers.location).toBe(`/api/v1/recalls/${recall.id}`);
    // The same request again is the same recall; the key with another body is refused.
    const again = await post('/recalls', key, body);
    expect([again.statusCode, again.json().id]).toEqual([200, recall.id]);
    const reused = await post('/recalls', key, { ...body, reason: 'something else' });
    expect([reused.statusCode, reused.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);

    // The hazard assessment waits in product safety's inbox; an assessment that departs from the matrix needs a why.
    const hazard = `${recall.id}:hazard`;
    const opened = await eventually(
      () => recallOf(recall.id),
      (r) => r.openTasks.length === 1,
    );
    expect(opened.openTasks).toMatchObject([{ id: hazard, kind: 'hazardAssessment', group: 'product-safety' }]);
    // Another group's task is not there for a back-office key.
    expect((await post(`/tasks/${hazard}/complete`, provisioning, { outcome: {} })).json().code).toBe('TASK_NOT_FOUND');
    const unreasoned = await post(`/tasks/${hazard}/complete`, safety, {
      outcome: { likelihood: 'unlikely', consequence: 'minor', class: 'I' },
    });
    expect([unreasoned.statusCode, unreasoned.json().code]).toEqual([422, 'INVALID_OUTCOME']);
    const assessed = await post(`/tasks/${hazard}/complete`, safety, {
      outcome: { likelihood: 'remote', consequence: 'serious', class: 'II' },
    });
    expect(assessed.statusCode, assessed.body).toBe(200);
    const monitored = await eventually(
      () => recallOf(recall.id),
      (r) => r.status === 'monitoring',
      30_000,
    );
    expect(monitored).toMatchObject({
      recallClass: 'II',
      terms: { effectivenessLevel: 'B', effectivenessTargetPercent: 50, noticeUrgency: 'urgent' },
      counts: { affected: 30, notified: 30, responded: 0, remedied: 0 },
      effectiveness: { notifiedPercent: 100, respondedPercent: 0, targetMet: false },
      assessment: { likelihood: 'remote', consequence: 'serious', class: 'II' },
    });
    expect(monitored.nextReminderAt).not.toBeNull();

    // Notices page in party order; a customer sees its own only, and answers it once.
    const page = await get(`/recalls/${recall.id}/notices?limit=10&offset=10`, support);
    expect(page.headers['x-total-count']).toBe('30');
    expect(page.json().map((n: { customerId: string }) => n.customerId)).toEqual(customers.slice(10, 20));
    const party = bearer(await p.keyFor('customer', { customerId: customers[0]! }));
    const own = (await get(`/recalls/${recall.id}/notices`, party)).json();
    expect(own).toMatchObject([{ customerId: customers[0], method: 'email', response: null }]);
    const noticeId = own[0].id;
    const answered = await post(`/recalls/${recall.id}/responses`, party, { noticeId, response: 'returned' });
    expect(answered.statusCode, answered.body).toBe(201);
    expect(answered.json()).toMatchObject({ response: 'returned', responses: [{ response: 'returned', quantity: 1 }] });
    expect((await post(`/recalls/${recall.id}/responses`, party, { noticeId, response: 'returned' })).statusCode).toBe(200);
    // The same answer with another quantity is a conflict (the sixth party holds two).
    const sixth = `${recall.id}:${customers[5]}`;
    expect((await post(`/recalls/${recall.id}/responses`, agent, { noticeId: sixth, response: 'returned', quantity: 1 })).statusCode).toBe(
      201,
    );
    const conflicting = await post(`/recalls/${recall.id}/responses`, agent, { noticeId: sixth, response: 'returned', quantity: 2 });
    expect([conflicting.statusCode, conflicting.json().code]).toEqual([409, 'RESPONSE_CONFLICT']);
    // A later acknowledgement does not undo the return.
    await post(`/recalls/${recall.id}/responses`, party, { noticeId, response: 'acknowledged' });
    const others = await post(`/recalls/${recall.id}/responses`, party, { noticeId: `${recall.id}:${customers[1]}`, response: 'declined' });
    expect([others.statusCode, others.json().code]).toEqual([404, 'NOTICE_NOT_FOUND']);
    expect(
      (await post(`/recalls/${recall.id}/responses`, agent, { noticeId: `${recall.id}:${customers[1]}`, response: 'declined' })).statusCode,
    ).toBe(201);
    const stranger = bearer(await p.keyFor('customer', { customerId: 'CUST-NOT-A-PARTY' }));
    expect((await get(`/recalls/${recall.id}`, stranger)).json().code).toBe('RECALL_NOT_FOUND');
    expect((await get(`/recalls/${recall.id}`, party)).statusCode).toBe(200);
    expect((await recallOf(recall.id)).counts).toEqual({ affected: 30, notified: 30, responded: 3, remedied: 2, declined: 1 });
    // Quantities: only with a return or remedy, and no more than the party holds.
    const tooMany = await post(`/recalls/${recall.id}/responses`, agent, {
      noticeId: `${recall.id}:${customers[3]}`,
      response: 'remedied',
      quantity: 1_000_000,
    });
    expect([tooMany.statusCode, tooMany.json().code, tooMany.json().details]).toEqual([422, 'QUANTITY_NOT_HELD', { held: 1 }]);
    // Returned and remedied together count against what the party holds: it returned its one already.
    const remedyToo = await post(`/recalls/${recall.id}/responses`, party, { noticeId, response: 'remedied', quantity: 1 });
    expect([remedyToo.statusCode, remedyToo.json().code, remedyToo.json().details]).toEqual([422, 'QUANTITY_NOT_HELD', { held: 0 }]);
    const counted = await post(`/recalls/${recall.id}/responses`, agent, {
      noticeId: `${recall.id}:${customers[3]}`,
      response: 'acknowledged',
      quantity: 5,
    });
    expect([counted.statusCode, counted.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const silent = await get(`/recalls/${recall.id}/notices?response=none&limit=1`, support);
    expect(silent.headers['x-total-count']).toBe('27');

    // Termination asked for by hand: product safety's task; asked again, 409.
    const ask = await post(`/recalls/${recall.id}/terminate`, admin, { reason: 'The supplier replaced the firmware everywhere' });
    expect(ask.statusCode, ask.body).toBe(200);
    expect(ask.json()).toMatchObject({
      status: 'terminationRequested',
      termination: { reason: 'The supplier replaced the firmware everywhere' },
    });
    expect(ask.json().openTasks).toMatchObject([{ kind: 'recallTermination', group: 'product-safety' }]);
    expect((await post(`/recalls/${recall.id}/terminate`, admin, { reason: 'again' })).json().code).toBe('RECALL_STATUS_CONFLICT');
    expect((await get(`/recalls/${recall.id}/reports`, support)).json()).toEqual([]);

    // Raised in error after all: cancelled; everyone notified is told, and the regulator gets the final report.
    const cancel = await post(`/recalls/${recall.id}/cancel`, safety, { reason: 'The firmware in these volumes is 4.1: not affected' });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json()).toMatchObject({ status: 'cancelled', openTasks: [] });
    const reports = await eventually(
      async () => (await get(`/recalls/${recall.id}/reports`, support)).json(),
      (r) => r.length === 1 && r[0].filedAt !== null,
      30_000,
    );
    expect(reports).toMatchObject([{ number: 1, final: true, figures: { status: 'cancelled', responding: 3 } }]);
    const retracted = [...notification.delivered.values()].filter((m) => m.recallId === recall.id && m.kind === 'retraction');
    expect(retracted.map((m) => m.customerId).sort()).toEqual(customers);
    expect(regulator.reportsOf(recall.id)).toHaveLength(1);
    expect((await post(`/recalls/${recall.id}/cancel`, admin, { reason: 'again' })).json().code).toBe('RECALL_STATUS_CONFLICT');
    const late = await post(`/recalls/${recall.id}/responses`, agent, { noticeId: `${recall.id}:${customers[2]}`, response: 'remedied' });
    expect([late.statusCode, late.json().code]).toEqual([409, 'RECALL_STATUS_CONFLICT']);
    const listed = await get('/recalls?status=cancelled&limit=200', support);
    expect(listed.json().map((r: { id: string }) => r.id)).toContain(recall.id);
  });
});

describe("initiation's bulk statement", () => {
  // postgres.js answers rows as an array (the tests run on PostgreSQL).
  const statementTimeout = async (db: Db) =>
    ((await db.execute(sql`select current_setting('statement_timeout') as timeout`)) as unknown as { timeout: string }[])[0]!.timeout;

  it('runs in a transaction of its own bound (recordRecall writes every party in one statement), leaving the usual 20 s to the rest', async () => {
    expect(await statementTimeout(p.database.db)).toBe('20s');
    expect(await bulkTransaction(p.database.db, statementTimeout)).toBe('10min');
    // SET LOCAL: every connection of the pool is back at the usual bound.
    const after = await Promise.all([1, 2, 3, 4, 5, 6].map(() => statementTimeout(p.database.db)));
    expect(new Set(after)).toEqual(new Set(['20s']));
  });
});
