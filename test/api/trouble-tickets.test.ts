/**
 * Cases over HTTP with a real worker: a defect reported on the web walked through triage, service
 * management, resolution, the customer's disagreement, resolution again, closure and the survey;
 * entry's idempotency; who may see and do what; escalation rules as data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
let agent: Record<string, string>;
let serviceManagement: Record<string, string>;
let billingAssistant: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  p = await startTestPlatform();
  agent = bearer(await p.keyFor('agent'));
  serviceManagement = bearer(await p.keyFor('backoffice', { groups: ['service-management'] }));
  billingAssistant = bearer(await p.keyFor('backoffice', { groups: ['billing-assistants'] }));
  admin = bearer(p.adminKey);
});
afterAll(() => p?.close());

const post = (url: string, headers: Record<string, string>, payload: object = {}) =>
  p.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload });
const get = (url: string, headers: Record<string, string>) => p.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
/** An admin's PUT. */
const put = (url: string, payload: object) => p.app.inject({ method: 'PUT', url: `/api/v1${url}`, headers: admin, payload });

const defect = (taxId: string) => ({
  kind: 'defect',
  origin: 'external',
  channel: 'web',
  severity: 'major',
  customer: { name: 'Web Shop SL', taxId },
  contact: { name: 'Iker Web', email: 'iker@webshop.example' },
  productId: 'datahost',
  symptom: 'site-down',
  description: 'The shop answers 502 since this morning',
});

describe('trouble tickets', () => {
  it('walks a web defect: triage, service management, resolved, rejected by the customer, resolved again, closed, surveyed', async () => {
    const taxId = `TT-${Date.now()}`;
    const from = new Date().toISOString();
    const created = await post('/troubleTickets', agent, defect(taxId));
    expect(created.statusCode, created.body).toBe(201);
    const ticket = created.json();
    expect(ticket).toMatchObject({
      kind: 'defect',
      status: 'gatheringInfo',
      ownerGroup: 'service-desk',
      openTask: { group: 'service-desk' },
      escalationLevel: 0,
    });
    expect(ticket.escalationRule).toMatchObject({ id: 'defect', levels: [{ group: 'technical-management', after: 'P4D' }, {}, {}] });
    expect(created.headers.location).toBe(`/api/v1/troubleTickets/${ticket.id}`);
    const customer = bearer(await p.keyFor('customer', { customerId: ticket.customerId }));
    // The customer reads it at once, and nobody else's customer does.
    expect((await get(`/troubleTickets/${ticket.id}`, customer)).json().status).toBe('gatheringInfo');
    const stranger = bearer(await p.keyFor('customer', { customerId: 'CUST-NOBODY' }));
    expect((await get(`/troubleTickets/${ticket.id}`, stranger)).statusCode).toBe(404);

    const strange = await post(`/troubleTickets/${ticket.id}/triage`, agent, {
      answers: [{ questionId: 'favourite-colour', answer: 'blue' }],
      solved: false,
    });
    expect(strange.statusCode).toBe(422);
    expect(strange.json()).toMatchObject({ code: 'UNKNOWN_QUESTION', details: { questions: expect.arrayContaining(['since']) } });
    const triaged = await post(`/troubleTickets/${ticket.id}/triage`, agent, {
      answers: [
        { questionId: 'since', answer: 'this morning' },
        { questionId: 'status-page', answer: 'no outage shown' },
      ],
      solved: false,
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect(triaged.json()).toMatchObject({ status: 'open', ownerGroup: 'service-management', openTask: { group: 'service-management' } });
    expect(triaged.json().triage).toMatchObject({ solved: false, answers: [{ questionId: 'since' }, { questionId: 'status-page' }] });
    const taskId = triaged.json().openTask.id;
    expect((await get(`/tasks?group=service-management`, serviceManagement)).json().map((t: { id: string }) => t.id)).toContain(taskId);

    // Only the owner group resolves; the customer cannot.
    expect((await post(`/troubleTickets/${ticket.id}/resolve`, billingAssistant, { resolution: 'x' })).statusCode).toBe(403);
    expect((await post(`/troubleTickets/${ticket.id}/resolve`, customer, { resolution: 'x' })).statusCode).toBe(403);
    await post(`/tasks/${taskId}/claim`, serviceManagement);
    expect((await post(`/troubleTickets/${ticket.id}/notes`, serviceManagement, { text: 'proxy restarted' })).statusCode).toBe(200);
    const resolved = await post(`/troubleTickets/${ticket.id}/resolve`, serviceManagement, { resolution: 'web proxy restarted' });
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolution: 'web proxy restarted', openTask: null });

    // The customer disagrees: open again, with service management.
    const reopened = await post(`/troubleTickets/${ticket.id}/reopen`, customer, { comment: 'still 502 on checkout' });
    expect(reopened.statusCode, reopened.body).toBe(200);
    expect(reopened.json()).toMatchObject({ status: 'open', resolution: null, openTask: { group: 'service-management' } });
    expect((await post(`/troubleTickets/${ticket.id}/close`, customer)).statusCode).toBe(409);
    await post(`/troubleTickets/${ticket.id}/resolve`, serviceManagement, { resolution: 'checkout service redeployed' });
    const closed = await post(`/troubleTickets/${ticket.id}/close`, customer);
    expect(closed.json()).toMatchObject({ status: 'closed', resolution: 'checkout service redeployed' });

    const survey = await post(`/troubleTickets/${ticket.id}/satisfaction`, customer, { score: 4, comment: 'fixed the same day' });
    expect(survey.statusCode, survey.body).toBe(200);
    expect(survey.json().satisfaction).toMatchObject({ score: 4, comment: 'fixed the same day' });
    const again = await post(`/troubleTickets/${ticket.id}/satisfaction`, customer, { score: 1 });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('SATISFACTION_ALREADY_GIVEN');

    const final = (await get(`/troubleTickets/${ticket.id}`, agent)).json();
    expect(final.notes).toEqual([expect.objectContaining({ text: 'proxy restarted' })]);
    expect(
      final.history.filter((e: { kind: string }) => e.kind === 'status').map((e: { details: { to?: string } }) => e.details.to),
    ).toEqual(['gatheringInfo', 'resolved', 'open', 'resolved', 'closed']);
    expect(final.history.filter((e: { kind: string }) => e.kind === 'satisfaction')).toEqual([
      expect.objectContaining({ details: { score: 4, comment: 'fixed the same day' } }),
    ]);
    // Both clocks stopped: the response when triage answered, the resolution at the last resolution.
    expect(final.sla.map((c: { metric: string; result: string; level: string }) => [c.metric, c.result, c.level])).toEqual([
      ['response', 'met', 'CSL'],
      ['resolution', 'met', 'CSL'],
    ]);
    const report = await get(
      `/reports/sla?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date().toISOString())}&kind=defect`,
      admin,
    );
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toEqual([
      expect.objectContaining({
        kind: 'defect',
        severity: 'major',
        cases: 1,
        targetsDecided: 2,
        percentMet: 100,
        breaches: { csl: 0, slo: 0 },
        resolved: 1,
        satisfaction: { average: 4, responseRate: 100 },
      }),
    ]);
    expect(report.json()[0].meanResolveMs).toBeGreaterThan(0);
    // Notes are taken at any time, also once the case is closed.
    const lateNote = await post(`/troubleTickets/${ticket.id}/notes`, customer, { text: 'thanks again' });
    expect(lateNote.statusCode, lateNote.body).toBe(200);
    expect(lateNote.json().notes.map((n: { text: string }) => n.text)).toEqual(['proxy restarted', 'thanks again']);
    // A closed case takes no more commands, answered from its row.
    const late = await post(`/troubleTickets/${ticket.id}/reopen`, customer, { comment: 'again' });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('CASE_STATUS_CONFLICT');
  });

  it('answers a repeated externalId with the first case and refuses an Idempotency-Key reused with another body', async () => {
    const body = { ...defect(`TTR-${Date.now()}`), externalId: 'web-form-77' };
    const first = await post('/troubleTickets', agent, body);
    const repeat = await post('/troubleTickets', agent, body);
    expect([first.statusCode, repeat.statusCode]).toEqual([201, 200]);
    expect(repeat.json().id).toBe(first.json().id);
    const keyed = { ...agent, 'idempotency-key': `k-${Date.now()}` };
    const a = await post('/troubleTickets', keyed, { ...body, externalId: undefined, description: 'one' });
    const b = await post('/troubleTickets', keyed, { ...body, externalId: undefined, description: 'two' });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(422);
    expect(b.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses bad entries with a clear 4xx: a defect without symptom, an unknown symptom, a customer reporting for another', async () => {
    const noSymptom = await post('/troubleTickets', agent, { ...defect('TTB-1'), symptom: undefined });
    expect(noSymptom.statusCode).toBe(400);
    const unknown = await post('/troubleTickets', agent, { ...defect('TTB-2'), symptom: 'coffee-machine' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({
      code: 'UNKNOWN_SYMPTOM',
      details: { symptoms: ['ftp-unreachable', 'mail-not-delivered', 'site-down'] },
    });
    const customer = bearer(await p.keyFor('customer', { customerId: 'CUST-SOMEONE' }));
    const forOther = await post('/troubleTickets', customer, { ...defect('TTB-3'), customer: { id: 'CUST-OTHER' } });
    expect(forOther.statusCode).toBe(403);
    const external = await post('/troubleTickets', billingAssistant, { ...defect('TTB-4') });
    expect(external.statusCode).toBe(403);
  });

  it('routes a billing dispute from the web to billing-assistants, and lists cases by group', async () => {
    const dispute = await post('/troubleTickets', agent, {
      kind: 'billing',
      channel: 'web',
      customer: { name: 'Dispute SL', taxId: `TTD-${Date.now()}` },
      contact: { name: 'Ona Bill', email: 'ona@dispute.example' },
      invoiceId: 'INV-2026-1001',
      description: 'Charged twice for November',
    });
    expect(dispute.statusCode, dispute.body).toBe(201);
    expect(dispute.json()).toMatchObject({ kind: 'billing', invoiceId: 'INV-2026-1001', ownerGroup: 'billing-assistants' });
    expect(dispute.json().openTask).toMatchObject({ group: 'billing-assistants' });
    // Support finds it in Temporal by its search attributes, and inspects it as any workflow.
    const { id, customerId } = dispute.json();
    const support = bearer(await p.keyFor('support'));
    const found = await eventually(
      async () => (await get(`/workflows?caseKind=billing&caseStatus=gatheringInfo&customerId=${customerId}`, support)).json(),
      (runs: { workflowId: string }[]) => runs.length > 0,
    );
    expect(found.map((r: { workflowId: string }) => r.workflowId)).toEqual([`case-${id}`]);
    const inspected = await get(`/workflows/case-${id}`, support);
    expect(inspected.statusCode, inspected.body).toBe(200);
    expect(inspected.json().state).toMatchObject({ caseId: id, status: 'gatheringInfo', ownerGroup: 'billing-assistants' });
    const listed = await get('/troubleTickets?group=billing-assistants&kind=billing', agent);
    expect(listed.json().map((c: { id: string }) => c.id)).toContain(dispute.json().id);
    expect(Number(listed.headers['x-total-count'])).toBeGreaterThanOrEqual(1);
  });

  it('moves the case with its task: forwarded to another group, that group owns and resolves it', async () => {
    const coordination = bearer(await p.keyFor('backoffice', { groups: ['billing-coordination'] }));
    const dispute = await post('/troubleTickets', agent, {
      kind: 'billing',
      channel: 'phone',
      customer: { name: 'Forward SL', taxId: `TTF-${Date.now()}` },
      contact: { name: 'Pau Fwd', email: 'pau@forward.example' },
      description: 'Wrong VAT rate',
    });
    const { id, openTask } = dispute.json();
    const forwarded = await post(`/tasks/${openTask.id}/forward`, billingAssistant, {
      toGroup: 'billing-coordination',
      message: 'VAT question',
    });
    expect(forwarded.statusCode, forwarded.body).toBe(200);
    const moved = (await get(`/troubleTickets/${id}`, agent)).json();
    expect(moved).toMatchObject({ ownerGroup: 'billing-coordination', openTask: { group: 'billing-coordination' } });
    expect(moved.history.at(-1)).toMatchObject({
      kind: 'assignment',
      details: { toGroup: 'billing-coordination', message: 'VAT question' },
    });
    expect((await post(`/troubleTickets/${id}/pending`, billingAssistant, { reason: 'x' })).statusCode).toBe(403);
    await post(`/troubleTickets/${id}/open`, coordination);
    const resolved = await post(`/troubleTickets/${id}/resolve`, coordination, { resolution: 'VAT corrected' });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json().status).toBe('resolved');
  });

  it('gives racing requests with one Idempotency-Key and different bodies one case, and refuses the other bodies', async () => {
    const keyed = { ...agent, 'idempotency-key': `race-${Date.now()}` };
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        post('/troubleTickets', keyed, {
          ...defect(`TTK-${Date.now()}`),
          description: `race ${n}`,
          customer: { name: 'Race SL', taxId: 'TTK-RACE-1' },
        }),
      ),
    );
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c !== 201)).toEqual(codes.filter((c) => c !== 201).map(() => 422));
  });

  it('refuses a related order that is not the customer’s', async () => {
    const r = await post('/troubleTickets', agent, { ...defect(`TTO-${Date.now()}`), relatedOrderId: 'ORD-0000000000000000' });
    expect(r.statusCode).toBe(422);
    expect(r.json().code).toBe('UNKNOWN_ORDER');
  });

  it('lets an admin add a rule for a product and symptom, to groups someone works, and the new cases follow it', async () => {
    const levels = [{ level: 1, group: 'service-management', after: 'PT2H' }];
    const nobody = await put('/escalationRules/defect.datahost.site-down', {
      kind: 'defect',
      productId: 'datahost',
      symptom: 'site-down',
      levels: [{ level: 1, group: 'nobody-works-this', after: 'PT2H' }],
    });
    expect(nobody.statusCode).toBe(422);
    expect(nobody.json().code).toBe('UNKNOWN_GROUP');
    const tooLong = await put('/escalationRules/defect.datahost.site-down', {
      kind: 'defect',
      productId: 'datahost',
      symptom: 'site-down',
      levels: [{ level: 1, group: 'service-management', after: 'P99999999D' }],
    });
    expect(tooLong.statusCode).toBe(400);
    const created = await put('/escalationRules/defect.datahost.ftp-unreachable', {
      kind: 'defect',
      productId: 'datahost',
      symptom: 'ftp-unreachable',
      levels,
    });
    expect(created.statusCode, created.body).toBe(201);
    const ftp = await post('/troubleTickets', agent, { ...defect(`TTS-${Date.now()}`), symptom: 'ftp-unreachable' });
    expect(ftp.json().escalationRule).toEqual({ id: 'defect.datahost.ftp-unreachable', levels });
    const site = await post('/troubleTickets', agent, defect(`TTS2-${Date.now()}`));
    expect(site.json().escalationRule.id).toBe('defect');
  });

  it('lets an admin change an SLA target for cases entered after, refusing an unknown calendar', async () => {
    const definitions = (await get('/slaDefinitions', serviceManagement)).json();
    expect(definitions.find((d: { id: string }) => d.id === 'sales.minor.response')).toMatchObject({
      target: 'PT8H',
      calendarId: 'office',
      warnAt: [50, 75],
    });
    expect((await get('/calendars', serviceManagement)).json().map((c: { id: string }) => c.id)).toEqual(['24x7', 'office']);
    const putTarget = (payload: object) => put('/slaDefinitions/sales.minor.response', payload);
    expect((await putTarget({ target: 'PT8H', calendarId: 'moon', level: 'SLO', warnAt: [50] })).json().code).toBe('UNKNOWN_CALENDAR');
    const changed = await putTarget({ target: 'PT2H', calendarId: '24x7', level: 'CSL', warnAt: [80, 40] });
    expect(changed.json()).toMatchObject({ target: 'PT2H', calendarId: '24x7', level: 'CSL', warnAt: [40, 80] });
    const sale = await post('/troubleTickets', agent, {
      kind: 'sales',
      channel: 'email',
      customer: { name: 'Sla SL', taxId: `TTSLA-${Date.now()}` },
      contact: { name: 'Sol Sla', email: 'sol@sla.example' },
      description: 'Quote for 20 mailboxes',
    });
    expect(sale.json().sla.find((c: { metric: string }) => c.metric === 'response')).toMatchObject({
      target: 'PT2H',
      level: 'CSL',
      calendarId: '24x7',
    });
    await putTarget({ target: 'PT8H', calendarId: 'office', level: 'SLO', warnAt: [50, 75] });
  });

  it('refuses a report whose period is upside down', async () => {
    const r = await get('/reports/sla?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z', admin);
    expect(r.statusCode).toBe(400);
    expect((await get('/reports/sla?from=yesterday&to=today', admin)).statusCode).toBe(400);
  });

  it('lets an admin change an escalation ladder, refusing one out of order', async () => {
    const rules = (await get('/escalationRules', agent)).json();
    expect(rules.find((r: { id: string }) => r.id === 'billing').levels.map((l: { after: string }) => l.after)).toEqual([
      'P7D',
      'P14D',
      'P21D',
    ]);
    const bad = await put('/escalationRules/sales', {
      levels: [
        { level: 1, group: 'sales-management', after: 'P5D' },
        { level: 2, group: 'superintendent', after: 'P2D' },
      ],
    });
    expect(bad.statusCode).toBe(400);
    const notIso = await put('/escalationRules/sales', { levels: [{ level: 1, group: 'sales-management', after: '5 days' }] });
    expect(notIso.statusCode).toBe(400);
    const missing = await put('/escalationRules/nothing', { levels: [{ level: 1, group: 'x-y', after: 'P1D' }] });
    expect(missing.statusCode).toBe(404);
  });
});
