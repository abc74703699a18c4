/**
 * The diagnosis of `GET /workflows/{id}` for each kind of stuck, on the dev server and PostgreSQL:
 * an activity whose worker was killed (SIGKILL), workflow tasks timing out after that worker loss
 * (and the run taken over by another worker), and an order, a case and a recall waiting on people:
 * whom, since when, and which deadline comes next.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { NativeConnection } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { seedParties } from '../../db/seed/parties.js';
import { createTestActivities } from '../support/activities.js';
import { bearer, eventually, startFileWorker, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { webSpaceRecall } from '../support/recalls.js';
import { startWorkerProcess } from '../support/worker-processes.js';
import { lostWorkerSubject, proceed } from '../support/workflows.js';

type Finding = { kind: string; sentence: string } & Record<string, any>;
type Description = { state: any; diagnosis: string[]; findings: Finding[]; pendingActivities: Record<string, any>[] };

let p: TestPlatform;
let support: Record<string, string>;

beforeAll(async () => {
  // A second without a heartbeat is "long" here, so the test need not wait the default minute.
  p = await startTestPlatform({ silentActivityMs: 1_000 });
  support = bearer(await p.keyFor('support'));
});
afterAll(() => p?.close());

const get = (url: string, headers = support) => p.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const post = (url: string, headers: Record<string, string>, payload: object = {}) =>
  p.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload });
const describeRun = async (workflowId: string): Promise<Description> => {
  const r = await get(`/workflows/${workflowId}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
};
const findingsOf = (d: Description, kind: string) => d.findings.filter((f) => f.kind === kind);
/** Each finding's sentence is also a line of the plain diagnosis. */
const expectListed = (d: Description) => expect(d.diagnosis).toEqual(d.findings.map((f) => f.sentence));

describe('a worker killed (SIGKILL) mid-flight', () => {
  const taskQueue = `lost-${randomUUID()}`;
  let worker: ChildProcess | undefined;
  let identity: string;
  let calls: WorkflowHandle;
  let waits: WorkflowHandle;

  beforeAll(async () => {
    worker = await startWorkerProcess(taskQueue, { ACTIVATION_URL: 'http://127.0.0.1:9' });
    identity = `${worker.pid}@${hostname()}`;
    calls = await p.client.workflow.start(lostWorkerSubject, { workflowId: `${taskQueue}-calls`, taskQueue, args: [{ hang: true }] });
    waits = await p.client.workflow.start(lostWorkerSubject, { workflowId: `${taskQueue}-waits`, taskQueue, args: [{ hang: false }] });
    // Both calls running on the worker (one heard from), and the waiting run's first task done (the run in its cache).
    await eventually(
      () => calls.describe(),
      (d) =>
        (d.raw.pendingActivities ?? []).filter((a) => a.lastStartedTime).length === 2 &&
        (d.raw.pendingActivities ?? []).some((a) => a.lastHeartbeatTime),
    );
    await eventually(
      () => waits.fetchHistory(),
      (h) => (h.events ?? []).some((e) => e.workflowTaskCompletedEventAttributes),
    );
    worker.kill('SIGKILL');
    await once(worker, 'exit');
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    for (const h of [calls, waits]) await h?.terminate('test over').catch(() => {});
  });

  it("says an activity's worker is probably gone: a call with no heartbeat, and one whose heartbeat timed out", async () => {
    const d = await eventually(
      () => describeRun(calls.workflowId),
      (d) => findingsOf(d, 'activitySilent').length === 1 && findingsOf(d, 'activityTimedOut').length === 1,
    );
    expectListed(d);

    // No heartbeat timeout: the server would wait out the 10-minute start-to-close timeout in silence.
    const [silent] = findingsOf(d, 'activitySilent');
    const pending = d.pendingActivities.find((a) => a.activityType === 'hangingStep')!;
    expect(silent).toMatchObject({
      activityType: 'hangingStep',
      activityId: pending.activityId,
      attempt: 1,
      maximumAttempts: 3,
      startedAt: pending.lastStartedTime,
      lastHeartbeatAt: null,
      heartbeatTimeoutSeconds: null,
      worker: identity,
      retried: true,
    });
    expect(Date.parse(silent!.timesOutAt) - Date.parse(silent!.startedAt)).toBe(10 * 60_000);
    expect(silent!.sentence).toBe(
      `activity hangingStep (${pending.activityId}): it has sent no heartbeat (attempt 1, started ${silent!.startedAt} on worker ${identity}, ` +
        `no heartbeat timeout): its worker is probably gone; it is retried once its start-to-close timeout runs out at ${silent!.timesOutAt}`,
    );

    // A heartbeat timeout of 2 s: the server ended the attempt; the next waits out its 10-minute backoff.
    const [timedOut] = findingsOf(d, 'activityTimedOut');
    const beating = d.pendingActivities.find((a) => a.activityType === 'beatingStep')!;
    expect(timedOut!.lastHeartbeatAt).not.toBeNull();
    expect(timedOut).toMatchObject({
      activityType: 'beatingStep',
      attempt: 2,
      timeout: 'heartbeat',
      worker: identity,
      lastHeartbeatAt: beating.lastHeartbeatTime,
      nextAttemptAt: beating.nextAttemptScheduleTime,
    });
    expect(Date.parse(timedOut!.nextAttemptAt) - Date.parse(timedOut!.lastHeartbeatAt)).toBeGreaterThan(9 * 60_000);
    expect(timedOut!.sentence).toBe(
      `activity beatingStep (${beating.activityId}): attempt 1 timed out on its heartbeat timeout on worker ${identity}, ` +
        `its last heartbeat at ${timedOut!.lastHeartbeatAt}: its worker is probably gone; attempt 2 starts at ${timedOut!.nextAttemptAt}`,
    );
  });

  it('says a workflow task timed out after the worker loss, and when another worker took the run over', async () => {
    // A signal makes a workflow task, which goes to the sticky queue of the dead worker first.
    await waits.signal(proceed, 'support');
    const stalled = await eventually(
      () => describeRun(waits.workflowId),
      (d) => findingsOf(d, 'workflowTaskTimedOut').length === 1,
      40_000,
    );
    expectListed(stalled);
    const [timeout] = findingsOf(stalled, 'workflowTaskTimedOut');
    expect(timeout).toMatchObject({ times: 1, worker: identity, takenOverAt: null, takenOverBy: null });
    // Killed between tasks, the worker leaves the task unstarted on its sticky queue; killed during one, it never completes it.
    if (timeout!.timeout === 'scheduleToStart') {
      expect(timeout).toMatchObject({ sticky: true, taskQueue: expect.stringContaining(identity) });
      expect(timeout!.sentence).toBe(
        `workflow task timed out at ${timeout!.at}: it waited on the sticky queue of worker ${identity}, which held this run in its cache: ` +
          'that worker is probably gone; no worker has taken the run over yet',
      );
    } else {
      expect(timeout!.sentence).toMatch(new RegExp(`worker ${identity} took it at .* and never completed it`));
    }

    const connection = await NativeConnection.connect({ address: inject('devServerAddress') });
    const rescuer = await startFileWorker(connection, taskQueue, createTestActivities());
    try {
      const taken = await eventually(
        () => describeRun(waits.workflowId),
        (d) => findingsOf(d, 'workflowTaskTimedOut')[0]?.takenOverAt !== null,
      );
      const [after] = findingsOf(taken, 'workflowTaskTimedOut');
      expect(after).toMatchObject({ at: timeout!.at, times: 1, worker: identity });
      expect(after!.takenOverBy).not.toBe(identity);
      expect(Date.parse(after!.takenOverAt)).toBeGreaterThan(Date.parse(timeout!.at));
      expect(after!.sentence).toMatch(new RegExp(`; worker ${after!.takenOverBy} took the run over at ${after!.takenOverAt}$`));
    } finally {
      await rescuer.stop();
      await connection.close();
    }
  });
});

describe('waiting on people', () => {
  it("an order: the customer's acceptance and the manual tasks, with the claim's assignee and the next deadline", async () => {
    const agent = bearer(await p.keyFor('agent'));
    const provisioning = bearer(await p.keyFor('backoffice', { groups: ['provisioning'] }));
    const id = await p.enterOrder(agent, { taxId: `DIAG-${Date.now()}`, components: ['datahost.extra-disk'] });
    const workflowId = `order-${id}`;
    const waiting = await eventually(
      () => describeRun(workflowId),
      (d) => d.state?.waitingFor?.includes('acceptance1') && findingsOf(d, 'waitingForTask').length === 1,
    );
    const order = (await get(`/productOrders/${id}`, agent)).json();
    const taskId = order.openTasks[0].id;
    const claimed = await post(`/tasks/${taskId}/claim`, provisioning);
    expect(claimed.statusCode, claimed.body).toBe(200);

    const d = await eventually(
      () => describeRun(workflowId),
      (d) => findingsOf(d, 'waitingForTask')[0]?.assignee !== null,
    );
    expectListed(d);
    const { deadlines, milestones } = d.state;
    // The state query says when the customer is reminded (48 h) and when no answer goes to fallout (7 days).
    const since = milestones.acceptance1.at;
    expect(Date.parse(deadlines.acceptanceReminder) - Date.parse(since)).toBeGreaterThanOrEqual(48 * 3600_000);
    expect(Date.parse(deadlines.acceptanceReminder) - Date.parse(since)).toBeLessThan(48 * 3600_000 + 10_000);
    expect(Date.parse(deadlines.acceptanceNoAnswer) - Date.parse(deadlines.acceptanceReminder)).toBe(5 * 24 * 3600_000);
    // Phase 1 (activation 1 and RFB 1) is due first: 24 h after submission.
    const phase1 = { name: 'phase 1 (activation 1 and RFB 1) due', at: deadlines.phase1 };

    expect(findingsOf(d, 'waitingForCustomer')).toEqual([
      {
        kind: 'waitingForCustomer',
        customerId: order.customerId,
        awaiting: 'acceptance of phase 1',
        since,
        nextDeadline: phase1,
        sentence: `waiting on customer ${order.customerId} to accept phase 1 since ${since}; next deadline: ${phase1.name} at ${phase1.at}`,
      },
    ]);
    const task = (await get(`/tasks/${taskId}`, provisioning)).json();
    expect(findingsOf(d, 'waitingForTask')).toEqual([
      {
        kind: 'waitingForTask',
        taskId,
        taskKind: 'manualFulfilment',
        title: task.title,
        group: 'provisioning',
        assignee: claimed.json().assignee,
        status: 'opened',
        since: task.createdAt,
        dueAt: task.dueAt,
        lastAction: { action: 'claim', actor: claimed.json().assignee, at: task.events.at(-1).at },
        nextDeadline: phase1,
        sentence:
          `waiting on task ${taskId} (manualFulfilment) in group provisioning, claimed by ${claimed.json().assignee}, opened, ` +
          `open since ${task.createdAt}; next deadline: ${phase1.name} at ${phase1.at}`,
      },
    ]);
    expect(claimed.json().assignee).toBeTruthy();
    expect(waiting.diagnosis).not.toContain('waiting for a signal, an update or a timer');
  });

  it('a case: its task with the assignee and the next escalation or target, then the customer while it is pending', async () => {
    const agent = bearer(await p.keyFor('agent'));
    const assistant = bearer(await p.keyFor('backoffice', { groups: ['billing-assistants'] }));
    const created = await post('/troubleTickets', agent, {
      kind: 'billing',
      channel: 'web',
      customer: { name: 'Diagnosis SL', taxId: `DIAGC-${Date.now()}` },
      contact: { name: 'Ona Diag', email: 'ona@diag.example' },
      invoiceId: 'INV-2026-2001',
      description: 'Charged twice for December',
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id, customerId, openTask } = created.json();
    const claimed = await post(`/tasks/${openTask.id}/claim`, assistant);
    expect(claimed.statusCode, claimed.body).toBe(200);
    const assignee = claimed.json().assignee;

    const d = await eventually(
      () => describeRun(`case-${id}`),
      (d) => findingsOf(d, 'waitingForTask')[0]?.assignee === assignee,
    );
    expectListed(d);
    const ticket = (await get(`/troubleTickets/${id}`, agent)).json();
    // The next deadline is the earliest of the next escalation (the state query) and the running SLA targets (the case).
    const candidates = [
      { name: `escalation to level ${d.state.nextEscalation.level} (${d.state.nextEscalation.group})`, at: d.state.nextEscalation.due },
      ...ticket.sla
        .filter((c: any) => c.running && c.due)
        .map((c: any) => ({ name: `${c.metric} target ${c.target} (${c.level})`, at: c.due })),
    ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    expect(candidates.length).toBeGreaterThan(1);
    const [task] = findingsOf(d, 'waitingForTask');
    expect(task).toMatchObject({
      taskId: openTask.id,
      taskKind: 'caseWork',
      group: 'billing-assistants',
      assignee,
      status: 'opened',
      lastAction: { action: 'claim', actor: assignee },
      nextDeadline: candidates[0],
    });
    expect(findingsOf(d, 'waitingForCustomer')).toEqual([]);

    expect((await post(`/troubleTickets/${id}/open`, assistant)).statusCode).toBe(200);
    const pending = await post(`/troubleTickets/${id}/pending`, assistant, { reason: 'which card was charged?' });
    expect(pending.statusCode, pending.body).toBe(200);
    const paused = await eventually(
      () => describeRun(`case-${id}`),
      (d) => findingsOf(d, 'waitingForCustomer').length === 1,
    );
    expectListed(paused);
    const wentPending = (await get(`/troubleTickets/${id}`, agent))
      .json()
      .history.filter((e: any) => e.kind === 'status' && e.details.to === 'pending')
      .at(-1);
    // The clocks stand still while the customer has the case: only the task's own due date is left.
    const [taskDue] = findingsOf(paused, 'waitingForTask');
    expect(taskDue!.nextDeadline).toEqual({ name: `task ${openTask.id} due`, at: taskDue!.dueAt });
    expect(findingsOf(paused, 'waitingForCustomer')).toEqual([
      {
        kind: 'waitingForCustomer',
        customerId,
        awaiting: 'the information asked for (the case is pending)',
        since: wentPending.at,
        nextDeadline: null,
        sentence: `waiting on customer ${customerId} for the information asked for (the case is pending) since ${wentPending.at}; no deadline running`,
      },
    ]);
  });

  it('a recall: the hazard assessment with its assignee, then the notified parties and the next reminder', async () => {
    const safety = bearer(await p.keyFor('backoffice', { groups: ['product-safety'] }));
    const customers = await seedParties(p.database.db, {
      prefix: `D${randomUUID().slice(0, 8)}`,
      count: 3,
      productId: 'datahost',
      componentId: 'datahost.web-space',
      activatedAt: new Date('2026-03-01T09:00:00Z'),
    });
    const created = await post('/recalls', safety, webSpaceRecall(customers.map((c) => `SVC-${c}`)));
    expect(created.statusCode, created.body).toBe(201);
    const recallId = created.json().id;
    const hazard = `${recallId}:hazard`;
    await eventually(
      () => describeRun(`recall-${recallId}`),
      (d) => findingsOf(d, 'waitingForTask').length === 1,
    );
    const claimed = await post(`/tasks/${hazard}/claim`, safety);
    expect(claimed.statusCode, claimed.body).toBe(200);
    const assignee = claimed.json().assignee;
    const assessing = await eventually(
      () => describeRun(`recall-${recallId}`),
      (d) => findingsOf(d, 'waitingForTask')[0]?.assignee === assignee,
    );
    expectListed(assessing);
    const task = (await get(`/tasks/${hazard}`, safety)).json();
    expect(findingsOf(assessing, 'waitingForTask')).toEqual([
      expect.objectContaining({
        taskId: hazard,
        taskKind: 'hazardAssessment',
        group: 'product-safety',
        assignee,
        since: task.createdAt,
        dueAt: task.dueAt,
        // Nothing else is timed while the hazard is assessed: the task's own due date (24 h) comes next.
        nextDeadline: { name: `task ${hazard} due`, at: task.dueAt },
      }),
    ]);

    const assessed = await post(`/tasks/${hazard}/complete`, safety, {
      outcome: { likelihood: 'remote', consequence: 'serious', class: 'II' },
    });
    expect(assessed.statusCode, assessed.body).toBe(200);
    const monitoring = await eventually(
      () => describeRun(`recall-${recallId}`),
      // The state query moves at once; the recall's row (notified when) a write later.
      (d) => findingsOf(d, 'waitingForParties')[0]?.since != null,
      30_000,
    );
    expectListed(monitoring);
    const recall = (await get(`/recalls/${recallId}`, safety)).json();
    const next = [
      { name: 'reminders to the parties yet to answer', at: recall.nextReminderAt },
      { name: 'a status report to the regulator', at: recall.nextReportAt },
    ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
    expect(findingsOf(monitoring, 'waitingForParties')).toEqual([
      {
        kind: 'waitingForParties',
        affected: 3,
        responded: 0,
        since: recall.notifiedAt,
        nextDeadline: next,
        sentence: `waiting on the notified parties to answer: 0 of 3 have, notified by ${recall.notifiedAt}; next deadline: ${next!.name} at ${next!.at}`,
      },
    ]);
    await post(`/recalls/${recallId}/cancel`, safety, { reason: 'test over' });
  });
});
