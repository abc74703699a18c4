/**
 * A retry changes nothing: every command route, sent the same request twice in a row (a client
 * resending after a lost answer) and twice at once, answers the same each time and writes one
 * event or row, and its workflow takes one update. Requests that rightly repeat the same body
 * after the subject moved on (claim, release, claim; a rejection after a fallout retry; pending,
 * resume, pending; a resolution given again after a reopen; a note added twice; termination asked
 * for again) are each taken. First, what Temporal itself answers to a repeated update id, which
 * the routes rely on.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationSimulator } from '../../activities/adapters/notification.js';
import { RegulatorSimulator } from '../../activities/adapters/regulator.js';
import { caseActivities } from '../../activities/cases.js';
import { recallActivities } from '../../activities/recalls.js';
import { seedParties } from '../../db/seed/parties.js';
import { caseEvents, cases, notifications, taskEvents, tasks } from '../../db/schema.js';
import { caseCommandEvent } from '../../domain/cases.js';
import { caseStateQuery } from '../../workflows/case.contract.js';
import { orderStateQuery } from '../../workflows/order.contract.js';
import { recallStateQuery } from '../../workflows/recall.contract.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { webSpaceRecall } from '../support/recalls.js';
import { addNote, failNote, inspectionSubject, proceed, stateQuery } from '../support/workflows.js';

let p: TestPlatform;
const k: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  p = await startTestPlatform({ notification: new NotificationSimulator(), regulator: new RegulatorSimulator() });
  k.agent = bearer(await p.keyFor('agent'));
  k.billing = bearer(await p.keyFor('billing'));
  k.support = bearer(await p.keyFor('support'));
  k.provisioning = bearer(await p.keyFor('backoffice', { groups: ['provisioning'] }));
  k.marketing = bearer(await p.keyFor('backoffice', { groups: ['web-marketing'] }));
  k.fallout = bearer(await p.keyFor('backoffice', { groups: ['fallout'] }));
  k.safety = bearer(await p.keyFor('backoffice', { groups: ['product-safety'] }));
});
afterAll(() => p?.close());

interface Answer {
  status: number;
  body: any;
}

const call = async (who: Record<string, string>, method: 'GET' | 'POST', url: string, payload?: object, headers = {}): Promise<Answer> => {
  const r = await p.app.inject({ method, url: `/api/v1${url}`, headers: { ...who, ...headers }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.json() };
};
const post = (who: Record<string, string>, url: string, payload: object = {}, headers = {}) => call(who, 'POST', url, payload, headers);
const get = async (url: string) => (await call(k.support!, 'GET', url)).body;

/** The request sent twice at once, then once more after both were answered. */
const atOnceThenAgain = async (send: () => Promise<Answer>) => [...(await Promise.all([send(), send()])), await send()];

/** Every answer the same as the first: status and body, as `view` shows it (volatile fields left out). */
function expectSameAnswers(answers: Answer[], status: number, view: (body: any) => unknown = (b) => b) {
  expect(
    answers.map((a) => a.status),
    JSON.stringify(answers.map((a) => a.body)),
  ).toEqual(answers.map(() => status));
  for (const a of answers.slice(1)) expect(view(a.body)).toEqual(view(answers[0]!.body));
}

/** How many updates a workflow took under ids beginning with `prefix` (a command and its subject). */
async function updatesTaken(workflowId: string, prefix: string): Promise<number> {
  const { events } = await p.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId?.startsWith(prefix))
    .length;
}

describe("Temporal's answer to a repeated update id", () => {
  it('is the stored outcome, success or failure, also once the workflow closed; a rejection is not stored', async () => {
    const handle = await p.client.workflow.start(inspectionSubject, { workflowId: `repeated-${randomUUID()}`, taskQueue: p.taskQueue });
    const note = (text: string, updateId: string) => handle.executeUpdate(addNote, { args: [text], updateId });

    expect(await note('a', 'first')).toEqual(['a']);
    // The same id again, whatever its arguments: the first one's outcome, and nothing done.
    expect(await note('b', 'first')).toEqual(['a']);
    // Twice at once: one execution, one answer for both.
    expect(await Promise.all([note('c', 'second'), note('c', 'second')])).toEqual([
      ['a', 'c'],
      ['a', 'c'],
    ]);
    // Refused by the validator: nothing is kept, so the same id is validated afresh.
    await expect(note('', 'third')).rejects.toThrow('Workflow Update failed');
    expect(await note('d', 'third')).toEqual(['a', 'c', 'd']);
    // Accepted, then failed by its handler: the failure is the stored outcome.
    const failed = { name: 'WorkflowUpdateFailedError', cause: expect.objectContaining({ type: 'NOTE_REFUSED' }) };
    await expect(handle.executeUpdate(failNote, { args: ['e'], updateId: 'fourth' })).rejects.toMatchObject(failed);
    await expect(handle.executeUpdate(failNote, { args: ['e'], updateId: 'fourth' })).rejects.toMatchObject(failed);
    await expect(note('f', 'fourth')).rejects.toMatchObject(failed);
    expect((await handle.query(stateQuery)).notes).toEqual(['a', 'c', 'd']);

    await handle.signal(proceed, 'test');
    await handle.result();
    // Closed: a known id still gets its outcome; a new one finds no workflow to update.
    expect(await note('g', 'first')).toEqual(['a']);
    await expect(handle.executeUpdate(failNote, { args: ['e'], updateId: 'fourth' })).rejects.toMatchObject(failed);
    await expect(note('h', 'fifth')).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
  });
});

describe('task actions', () => {
  let orderId: string;
  let disk: string;
  let seo: string;
  const act = (who: Record<string, string>, taskId: string, action: string, body: object = {}) =>
    post(who, `/tasks/${taskId}/${action}`, body);
  const actionsOf = async (taskId: string) =>
    (
      await p.database.db
        .select({ action: taskEvents.action })
        .from(taskEvents)
        .where(eq(taskEvents.taskId, taskId))
        .orderBy(asc(taskEvents.version))
    ).map((e) => e.action);

  beforeAll(async () => {
    orderId = await p.enterOrder(k.agent!, {
      taxId: `RPT-T-${Date.now()}`,
      components: ['datahost.search-engine', 'datahost.extra-disk'],
    });
    const order = await eventually(
      () => get(`/productOrders/${orderId}`),
      (o) => o.openTasks.length === 2,
    );
    disk = order.openTasks.find((t: { group: string }) => t.group === 'provisioning').id;
    seo = order.openTasks.find((t: { group: string }) => t.group === 'web-marketing').id;
  });

  it('take each action once however often it is sent; claim, release, claim is three actions', async () => {
    const claims = [await act(k.provisioning!, disk, 'claim'), await act(k.provisioning!, disk, 'claim')];
    expectSameAnswers(claims, 200);
    expect(claims[0]!.body).toMatchObject({ version: 2, assignee: expect.any(String) });
    expect(await actionsOf(disk)).toEqual(['open', 'claim']);

    expectSameAnswers(await atOnceThenAgain(() => act(k.provisioning!, disk, 'release')), 200);
    const reclaimed = await atOnceThenAgain(() => act(k.provisioning!, disk, 'claim'));
    expectSameAnswers(reclaimed, 200);
    expect(reclaimed[0]!.body).toMatchObject({ version: 4, assignee: claims[0]!.body.assignee });
    const started = await atOnceThenAgain(() => act(k.provisioning!, disk, 'start'));
    expectSameAnswers(started, 200);
    expect(started[0]!.body).toMatchObject({ version: 5, status: 'inProgress' });
    const completed = await atOnceThenAgain(() => act(k.provisioning!, disk, 'complete', { outcome: { done: true, reference: 'D-1' } }));
    expectSameAnswers(completed, 200);
    expect(completed[0]!.body).toMatchObject({ version: 6, status: 'completed', outcome: { done: true, reference: 'D-1' } });
    // Another completion is no repeat: still refused.
    const other = await act(k.provisioning!, disk, 'complete', { outcome: { done: true } });
    expect([other.status, other.body.code]).toEqual([409, 'TASK_ALREADY_COMPLETED']);

    expect(await actionsOf(disk)).toEqual(['open', 'claim', 'release', 'claim', 'start', 'complete']);
    const workflowId = `order-${orderId}`;
    expect(await updatesTaken(workflowId, `claim:${disk}:`)).toBe(2);
    for (const action of ['release', 'start', 'complete']) expect(await updatesTaken(workflowId, `${action}:${disk}:`)).toBe(1);
  });

  it('forward once, answering the sender again as the first time even though the task left its groups', async () => {
    const body = { toGroup: 'provisioning', message: 'size the disk with the SEO plan' };
    const forwards = await atOnceThenAgain(() => act(k.marketing!, seo, 'forward', body));
    expectSameAnswers(forwards, 200);
    expect(forwards[0]!.body).toMatchObject({ group: 'provisioning', version: 2 });
    expect(await actionsOf(seo)).toEqual(['open', 'forward']);
    const requests = await p.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.subjectId, orderId), eq(notifications.kind, 'actionRequest')));
    expect(requests).toHaveLength(1);
    expect(await updatesTaken(`order-${orderId}`, `forward:${seo}:`)).toBe(1);
    // Another forward is no repeat: the task is not web marketing's any more.
    expect((await act(k.marketing!, seo, 'forward', { ...body, message: 'and the mail quota' })).status).toBe(404);
  });
});

describe('order commands', () => {
  const acceptance = (orderId: string, decision: 'accepted' | 'rejected', comment: string) => () =>
    post(k.agent!, `/productOrders/${orderId}/acceptance`, { phase: 1, decision, comment });
  const orderOf = (id: string) => get(`/productOrders/${id}`);
  const awaitsAcceptance = (id: string) =>
    eventually(
      () => p.client.workflow.getHandle(`order-${id}`).query(orderStateQuery),
      (s) => s.waitingFor.includes('acceptance1'),
    );

  it('take an acceptance and an RFB acknowledgement once', async () => {
    const orderId = await p.enterOrder(k.agent!, { taxId: `RPT-A-${Date.now()}` });
    await awaitsAcceptance(orderId);
    const accepted = await atOnceThenAgain(acceptance(orderId, 'accepted', 'site is up'));
    expectSameAnswers(accepted, 200, (o) => o.milestones.acceptance1);
    expect(accepted[0]!.body.milestones.acceptance1).toMatchObject({
      status: 'done',
      detail: expect.stringMatching(/^accepted by agent:/),
    });
    expect(await updatesTaken(`order-${orderId}`, `acceptance:${orderId}:`)).toBe(1);

    const rfbId = `${orderId}:rfb:1`;
    await eventually(
      () => orderOf(orderId),
      (o) => o.readyForBilling.some((r: { id: string; status: string }) => r.id === rfbId && r.status === 'sent'),
    );
    const ack = { rfbId, status: 'accepted', billingAccountId: 'BA-RPT', cycleStartDate: '2026-12-01' };
    const acks = await atOnceThenAgain(() => post(k.billing!, '/billing/acknowledgements', ack));
    expectSameAnswers(acks, 200);
    expect(acks[0]!.body).toMatchObject({ status: 'accepted', billingAccountId: 'BA-RPT' });
    expect(await updatesTaken(`order-${orderId}`, `acknowledge:${rfbId}:`)).toBe(1);
  });

  it('take the same rejection again once fallout retried the acceptance, and a cancel once', async () => {
    const orderId = await p.enterOrder(k.agent!, { taxId: `RPT-R-${Date.now()}` });
    const reject = acceptance(orderId, 'rejected', 'the site shows another domain');
    await awaitsAcceptance(orderId);
    expectSameAnswers(await atOnceThenAgain(reject), 200, (o) => o.milestones.acceptance1);
    expect(await updatesTaken(`order-${orderId}`, `acceptance:${orderId}:`)).toBe(1);

    // Fallout retries the step: the customer is asked again and rejects again, in the same words.
    const firstFallout = await eventually(
      () => orderOf(orderId),
      (o) => o.openTasks.some((t: { group: string }) => t.group === 'fallout'),
    );
    const falloutTask = firstFallout.openTasks.find((t: { group: string }) => t.group === 'fallout').id;
    expect((await post(k.fallout!, `/tasks/${falloutTask}/complete`, { outcome: { action: 'retry' } })).status).toBe(200);
    await awaitsAcceptance(orderId);
    expect((await reject()).status).toBe(200);
    expect(await updatesTaken(`order-${orderId}`, `acceptance:${orderId}:`)).toBe(2);
    const secondFallout = await eventually(
      () => orderOf(orderId),
      (o) => o.openTasks.some((t: { group: string; id: string }) => t.group === 'fallout' && t.id !== falloutTask),
    );
    expect(secondFallout.state).toBe('held');

    // A cancel sent again is answered as the first (201, the same request); another caller's gets the one taken.
    const cancel = (reason: string) => () =>
      post(k.agent!, '/cancelProductOrder', { productOrder: { id: orderId }, cancellationReason: reason });
    const cancels = await atOnceThenAgain(cancel('the customer changed plans'));
    expectSameAnswers(cancels, 201, (r) => [r.id, r.cancellationReason, r.requestedBy]);
    const other = await cancel('another reason')();
    expect([other.status, other.body.id, other.body.cancellationReason]).toEqual([200, cancels[0]!.body.id, 'the customer changed plans']);
    const shortcut = await post(k.agent!, `/productOrders/${orderId}/cancel`, { reason: 'the customer changed plans' });
    expect([shortcut.status, shortcut.body.id]).toEqual([202, cancels[0]!.body.id]);
    expect(await updatesTaken(`order-${orderId}`, `cancel:${orderId}:`)).toBe(1);
  });
});

describe('case commands', () => {
  const withoutClocks = ({ sla: _sla, updatedAt: _updatedAt, ...rest }: Record<string, unknown>) => rest;

  it('take each command once; pending after resume, and a note added twice, are taken again', async () => {
    const entered = await post(k.agent!, '/troubleTickets', {
      kind: 'billing',
      channel: 'phone',
      customer: { name: 'Repeat Billing SL', taxId: `RPT-C-${Date.now()}` },
      contact: { name: 'Rita Peat', email: 'rita@repeat.example' },
      invoiceId: 'INV-2026-0077',
      description: 'Charged twice for March',
    });
    expect(entered.status).toBe(201);
    const caseId = entered.body.id as string;
    const command =
      (name: string, body: object = {}, headers = {}) =>
      () =>
        post(k.agent!, `/troubleTickets/${caseId}/${name}`, body, headers);

    expectSameAnswers(await atOnceThenAgain(command('open')), 200, withoutClocks);
    const waiting = { reason: 'waiting for the invoice copy' };
    expectSameAnswers([await command('pending', waiting)(), await command('pending', waiting)()], 200, withoutClocks);
    expectSameAnswers(await atOnceThenAgain(command('resume')), 200, withoutClocks);
    expect((await command('pending', waiting)()).body.status).toBe('pending');
    expect((await command('resume')()).body.status).toBe('open');

    // Without a key the same note twice is two notes (wanted); with one, however often it is sent, one.
    await command('notes', { text: 'called the customer' })();
    await command('notes', { text: 'called the customer' })();
    const keyed = command('notes', { text: 'invoice copy received' }, { 'idempotency-key': `note-${randomUUID()}` });
    expectSameAnswers(await atOnceThenAgain(keyed), 200, withoutClocks);

    const resolution = { resolution: 'credit note issued' };
    expectSameAnswers(await atOnceThenAgain(command('resolve', resolution)), 200, withoutClocks);
    // The customer disagrees, and the same resolution is given again: taken again.
    expectSameAnswers(await atOnceThenAgain(command('reopen', { comment: 'the credit note is missing' })), 200, withoutClocks);
    expect((await command('resolve', resolution)()).body.status).toBe('resolved');
    // Closing ends the case's workflow: the repeat is answered from the rows.
    expectSameAnswers(await atOnceThenAgain(command('close')), 200, withoutClocks);
    const lateNote = command('notes', { text: 'credit note sent by post' }, { 'idempotency-key': `note-${randomUUID()}` });
    expectSameAnswers(await atOnceThenAgain(lateNote), 200, withoutClocks);
    const surveyed = await atOnceThenAgain(() => post(k.agent!, `/troubleTickets/${caseId}/satisfaction`, { score: 5 }));
    expectSameAnswers(surveyed, 200, withoutClocks);
    const otherScore = await post(k.agent!, `/troubleTickets/${caseId}/satisfaction`, { score: 1 });
    expect([otherScore.status, otherScore.body.code]).toEqual([409, 'SATISFACTION_ALREADY_GIVEN']);

    const history = await p.database.db
      .select({ kind: caseEvents.kind, details: caseEvents.details })
      .from(caseEvents)
      .where(eq(caseEvents.caseId, caseId))
      .orderBy(asc(caseEvents.at));
    expect(history.filter((e) => e.kind === 'status').map((e) => e.details.to)).toEqual([
      'gatheringInfo',
      'open',
      'pending',
      'open',
      'pending',
      'open',
      'resolved',
      'open',
      'resolved',
      'closed',
    ]);
    expect(history.filter((e) => e.kind === 'note').map((e) => e.details.text)).toEqual([
      'called the customer',
      'called the customer',
      'invoice copy received',
      'credit note sent by post',
    ]);
    expect(history.filter((e) => e.kind === 'satisfaction')).toHaveLength(1);
    const workflowId = `case-${caseId}`;
    const taken = async (name: string) => updatesTaken(workflowId, `${name}:${caseId}:`);
    expect([await taken('open'), await taken('pending'), await taken('resume'), await taken('notes')]).toEqual([1, 2, 2, 3]);
    expect([await taken('resolve'), await taken('reopen'), await taken('close')]).toEqual([2, 1, 1]);
  });

  it('tell a resume from the open before it: refused right after the same actor opened the case, it is a 409', async () => {
    const entered = await post(k.agent!, '/troubleTickets', {
      kind: 'sales',
      channel: 'phone',
      customer: { name: 'Open Resume SL', taxId: `RPT-O-${Date.now()}` },
      contact: { name: 'Otto Pen', email: 'otto@resume.example' },
      description: 'Wants mailboxes for a new office',
    });
    const caseId = entered.body.id as string;
    expect((await post(k.agent!, `/troubleTickets/${caseId}/open`)).body.status).toBe('open');
    // Both lead to open, by the same actor: the open's event names its command, so the resume is no resend of it.
    const resume = await post(k.agent!, `/troubleTickets/${caseId}/resume`);
    expect([resume.status, resume.body.code]).toEqual([409, 'CASE_STATUS_CONFLICT']);
    const opened = await post(k.agent!, `/troubleTickets/${caseId}/open`);
    expect([opened.status, opened.body.status]).toEqual([200, 'open']);
    const statuses = (await get(`/troubleTickets/${caseId}`)).history.filter((e: { kind: string }) => e.kind === 'status');
    expect(statuses.map((e: { details: object }) => e.details)).toEqual([
      expect.objectContaining({ to: 'gatheringInfo' }),
      { to: 'open', command: 'open' },
    ]);
  });

  it('take a triage and a cancel once', async () => {
    const entered = await post(k.agent!, '/troubleTickets', {
      kind: 'defect',
      channel: 'web',
      customer: { name: 'Repeat Web SL', taxId: `RPT-D-${Date.now()}` },
      contact: { name: 'Dora Peat', email: 'dora@repeat.example' },
      productId: 'datahost',
      symptom: 'site-down',
      description: 'The shop answers 502',
    });
    const caseId = entered.body.id as string;
    const triage = { answers: [{ questionId: 'since', answer: 'this morning' }], solved: false };
    const triaged = await atOnceThenAgain(() => post(k.agent!, `/troubleTickets/${caseId}/triage`, triage));
    expectSameAnswers(triaged, 200, withoutClocks);
    expect(triaged[0]!.body).toMatchObject({ status: 'open', ownerGroup: 'service-management' });
    const cancelled = await atOnceThenAgain(() => post(k.agent!, `/troubleTickets/${caseId}/cancel`, { reason: 'reported twice' }));
    expectSameAnswers(cancelled, 200, withoutClocks);
    const history = (await get(`/troubleTickets/${caseId}`)).history as { kind: string }[];
    expect(history.map((e) => e.kind)).toEqual(['status', 'triage', 'status']);
    expect(await updatesTaken(`case-${caseId}`, `triage:${caseId}:`)).toBe(1);
    expect(await updatesTaken(`case-${caseId}`, `cancel:${caseId}:`)).toBe(1);
  });

  it('enter a case once for one Idempotency-Key, sent at once or again (201 for the one that entered it)', async () => {
    const body = {
      kind: 'sales',
      channel: 'web',
      customer: { name: 'Repeat Sales SL', taxId: `RPT-S-${Date.now()}` },
      contact: { name: 'Sam Peat', email: 'sam@repeat.example' },
      description: 'Wants a quote for 20 mailboxes',
    };
    const key = { 'idempotency-key': `case-${randomUUID()}` };
    const answers = await atOnceThenAgain(() => post(k.agent!, '/troubleTickets', body, key));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const rows = await p.database.db.select({ id: cases.id }).from(cases).where(eq(cases.id, answers[0]!.body.id));
    expect(rows).toHaveLength(1);
  });
});

describe('recall commands', () => {
  it('take an assessment, a termination request and a cancel once; termination asked again after a refusal is taken', async () => {
    const parties = await seedParties(p.database.db, {
      prefix: `R${randomUUID().slice(0, 8)}`,
      count: 3,
      productId: 'datahost',
      componentId: 'datahost.web-space',
      activatedAt: new Date('2026-03-01T09:00:00Z'),
    });
    // Initiation has its own id scheme (the recall id from the key): one recall, one 201.
    const key = { 'idempotency-key': `recall-${randomUUID()}` };
    const initiated = await atOnceThenAgain(() => post(k.safety!, '/recalls', webSpaceRecall(parties.map((c) => `SVC-${c}`)), key));
    expect(initiated.map((a) => a.status).sort(), JSON.stringify(initiated[0]!.body)).toEqual([200, 200, 201]);
    const recallId = initiated[0]!.body.id as string;
    expect(new Set(initiated.map((a) => a.body.id))).toEqual(new Set([recallId]));
    const workflowId = `recall-${recallId}`;
    const recallOf = () => get(`/recalls/${recallId}`);
    const hazard = `${recallId}:hazard`;
    await eventually(recallOf, (r) => r.openTasks.length === 1);
    const assessment = { outcome: { likelihood: 'remote', consequence: 'serious', class: 'II' } };
    expectSameAnswers(await atOnceThenAgain(() => post(k.safety!, `/tasks/${hazard}/complete`, assessment)), 200);
    expect(await updatesTaken(workflowId, `complete:${hazard}:`)).toBe(1);
    await eventually(recallOf, (r) => r.status === 'monitoring', 30_000);

    const reason = { reason: 'The supplier replaced the firmware everywhere' };
    const asked = await atOnceThenAgain(() => post(k.safety!, `/recalls/${recallId}/terminate`, reason));
    expectSameAnswers(asked, 200, (r) => [r.status, r.termination, r.openTasks]);
    expect(asked[0]!.body).toMatchObject({ status: 'terminationRequested', openTasks: [{ kind: 'recallTermination' }] });
    const decisions = async () =>
      p.database.db
        .select({ id: tasks.id })
        .from(tasks)
        .where(and(eq(tasks.subjectId, recallId), eq(tasks.kind, 'recallTermination')));
    expect(await decisions()).toHaveLength(1);

    // Product safety refuses; asked again for the same reason, it is a new request.
    const decision = asked[0]!.body.openTasks[0].id as string;
    const refused = await post(k.safety!, `/tasks/${decision}/complete`, { outcome: { approved: false, rationale: 'two sites remain' } });
    expect(refused.status).toBe(200);
    await eventually(recallOf, (r) => r.status === 'monitoring');
    expect((await post(k.safety!, `/recalls/${recallId}/terminate`, reason)).body.status).toBe('terminationRequested');
    expect(await decisions()).toHaveLength(2);
    expect(await updatesTaken(workflowId, `terminate:${recallId}:`)).toBe(2);

    const cancels = await atOnceThenAgain(() => post(k.safety!, `/recalls/${recallId}/cancel`, { reason: 'Firmware 4.1: not affected' }));
    expectSameAnswers(cancels, 200, (r) => [r.status, r.cancellation]);
    expect(cancels[0]!.body).toMatchObject({ status: 'cancelled', cancellation: { reason: 'Firmware 4.1: not affected' } });
    expect(await updatesTaken(workflowId, `cancel:${recallId}:`)).toBe(1);
  });
});

describe('an Idempotency-Key', () => {
  it('names one request of its caller: with another body or on another route it is a 422 and nothing is done', async () => {
    const ticket = {
      kind: 'sales',
      channel: 'web',
      customer: { name: 'Key Reuse SL', taxId: `RPT-K-${Date.now()}` },
      contact: { name: 'Kai Key', email: 'kai@key.example' },
      description: 'Wants a quote',
    };
    const caseId = (await post(k.agent!, '/troubleTickets', ticket)).body.id as string;
    const key = { 'idempotency-key': `reused-${randomUUID()}` };
    const note = (text: string) => post(k.agent!, `/troubleTickets/${caseId}/notes`, { text }, key);
    const notes = async () =>
      (
        await p.database.db
          .select({ id: caseEvents.id })
          .from(caseEvents)
          .where(and(eq(caseEvents.caseId, caseId), eq(caseEvents.kind, 'note')))
      ).length;

    expectSameAnswers([await note('quote sent'), await note('quote sent')], 200, ({ updatedAt: _u, sla: _s, ...rest }) => rest);
    const reused = [
      await note('another quote'),
      await post(k.agent!, `/troubleTickets/${caseId}/open`, {}, key),
      await post(k.agent!, '/troubleTickets', { ...ticket, description: 'Another case' }, key),
    ];
    for (const r of reused) {
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body).toEqual({
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: expect.stringContaining(key['idempotency-key']),
        details: { firstRequest: `POST /api/v1/troubleTickets/${caseId}/notes` },
      });
    }
    expect(await notes()).toBe(1);
    expect((await get(`/troubleTickets/${caseId}`)).status).toBe('gatheringInfo');
    expect(await p.database.db.select({ id: cases.id }).from(cases).where(eq(cases.description, 'Another case'))).toEqual([]);
    // A key is its caller's own: another key's request under the same one is its own request.
    const otherAgent = bearer(await p.keyFor('agent'));
    expect((await post(otherAgent, `/troubleTickets/${caseId}/open`, {}, key)).status).toBe(200);
  });
});

/**
 * What `npm run chaos` saw when the Temporal server was killed: a command whose rows the worker's
 * local activity wrote, lost from the workflow's history with the server. The rows say it
 * happened; the workflow never got it. Here the rows are written as that activity writes them,
 * with the workflow open and where it was; the command sent again must reach the workflow.
 */
describe('a command the rows took and the workflow lost', () => {
  const completed = (workflowId: string) =>
    eventually(
      async () => (await p.client.workflow.getHandle(workflowId).describe()).status.name,
      (s) => s === 'COMPLETED',
    );

  it('a case closed in the rows alone: the close sent again is answered 200 and closes the workflow', async () => {
    const entered = await post(k.agent!, '/troubleTickets', {
      kind: 'billing',
      channel: 'phone',
      customer: { name: 'Lost Close SL', taxId: `RPT-L-${Date.now()}` },
      contact: { name: 'Lola Stand', email: 'lola@lost.example' },
      invoiceId: 'INV-2026-0099',
      description: 'Charged for a cancelled line',
    });
    const caseId = entered.body.id as string;
    const workflowId = `case-${caseId}`;
    await post(k.agent!, `/troubleTickets/${caseId}/open`);
    const resolved = await post(k.agent!, `/troubleTickets/${caseId}/resolve`, { resolution: 'refunded' });
    expect(resolved.body.status).toBe('resolved');
    const actor = resolved.body.history.at(-1).actor as string;

    // The close as the workflow's activity records it: its event under the workflow's next number, the row closed.
    const numbers = (await p.database.db.select({ id: caseEvents.id }).from(caseEvents).where(eq(caseEvents.caseId, caseId))).map((e) =>
      Number(e.id.slice(e.id.lastIndexOf(':') + 1)),
    );
    const close = { command: 'close', actor } as const;
    await caseActivities(p.database.db).recordCaseChange({
      caseId,
      eventId: `${caseId}:${Math.max(...numbers) + 1}`,
      at: new Date().toISOString(),
      ...caseCommandEvent(close),
      actor,
      status: 'closed',
    });
    expect((await p.client.workflow.getHandle(workflowId).query(caseStateQuery)).status).toBe('resolved');

    const again = await post(k.agent!, `/troubleTickets/${caseId}/close`);
    expect([again.status, again.body.status]).toEqual([200, 'closed']);
    expect(await completed(workflowId)).toBe('COMPLETED');
    expect(await p.client.workflow.getHandle(workflowId).result()).toBe('closed');
    // The workflow wrote the close under the event the rows have: one close, not two.
    const closes = await p.database.db
      .select({ id: caseEvents.id })
      .from(caseEvents)
      .where(and(eq(caseEvents.caseId, caseId), eq(caseEvents.kind, 'status')));
    expect(closes).toHaveLength(4);
    expect(await updatesTaken(workflowId, `close:${caseId}:`)).toBe(1);
  });

  it('a recall cancelled in the rows alone: the cancel sent again is answered 200 and ends the workflow', async () => {
    const parties = await seedParties(p.database.db, {
      prefix: `L${randomUUID().slice(0, 8)}`,
      count: 2,
      productId: 'datahost',
      componentId: 'datahost.web-space',
      activatedAt: new Date('2026-03-01T09:00:00Z'),
    });
    const initiated = await post(k.safety!, '/recalls', webSpaceRecall(parties.map((c) => `SVC-${c}`)));
    expect(initiated.status).toBe(201);
    const recallId = initiated.body.id as string;
    const workflowId = `recall-${recallId}`;
    const assessing = await eventually(
      () => get(`/recalls/${recallId}`),
      (r) => r.openTasks.length === 1,
    );
    const actor = assessing.createdBy as string;
    const reason = 'Raised for the wrong product line';

    // The cancel as the workflow's activity records it on the row.
    const at = new Date().toISOString();
    await recallActivities(p.database.db, new NotificationSimulator(), new RegulatorSimulator()).recordRecallChange({
      recallId,
      at,
      status: 'cancelled',
      cancellation: { by: actor, reason, at },
    });
    expect((await p.client.workflow.getHandle(workflowId).query(recallStateQuery)).status).toBe('assessing');

    const again = await post(k.safety!, `/recalls/${recallId}/cancel`, { reason });
    expect([again.status, again.body.status]).toEqual([200, 'cancelled']);
    expect(await completed(workflowId)).toBe('COMPLETED');
    expect(await p.client.workflow.getHandle(workflowId).result()).toBe('cancelled');
    // The workflow withdrew the assessment it was waiting on.
    const [hazard] = await p.database.db
      .select({ status: tasks.status })
      .from(tasks)
      .where(eq(tasks.id, `${recallId}:hazard`));
    expect(hazard?.status).toBe('cancelled');
  });
});
