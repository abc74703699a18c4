import { WorkflowUpdateStage } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNote, holdNote, inspectionSubject, proceed, stuckSubject } from '../support/workflows.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
let support: Record<string, string>;

beforeAll(async () => {
  p = await startTestPlatform();
  support = bearer(await p.keyFor('support'));
});
afterAll(() => p?.close());

const get = (url: string) => p.app.inject({ method: 'GET', url, headers: support });

describe('workflow inspection', () => {
  it('describes a waiting run with its state query, then shows its whole story in the timeline', async () => {
    const workflowId = `inspect-${Date.now()}`;
    const handle = await p.client.workflow.start(inspectionSubject, { workflowId, taskQueue: p.taskQueue });

    const waiting = await eventually(
      async () => (await get(`/api/v1/workflows/${workflowId}`)).json(),
      // describe() is read before the query, so both must have caught up.
      (d) => d.state?.status === 'waiting' && d.pendingActivities?.length === 0,
    );
    expect(waiting).toMatchObject({
      workflowId,
      type: 'inspectionSubject',
      status: 'running',
      taskQueue: p.taskQueue,
      pendingActivities: [],
      stateError: null,
    });
    expect(waiting.diagnosis).toContain('waiting for a signal, an update or a timer');

    await handle.executeUpdate(addNote, { args: ['checked'] });
    const held = await handle.startUpdate(holdNote, { args: ['held'], waitForStage: WorkflowUpdateStage.ACCEPTED });
    const withUpdate = (await get(`/api/v1/workflows/${workflowId}`)).json();
    expect(withUpdate.pendingUpdates).toEqual([expect.objectContaining({ name: 'holdNote', updateId: held.updateId })]);
    expect(withUpdate.diagnosis).toContain(`update holdNote (${held.updateId}) is in progress`);

    await handle.signal(proceed, 'support-test');
    expect(await handle.result()).toBe('checked,held');

    const done = (await get(`/api/v1/workflows/${workflowId}`)).json();
    expect(done).toMatchObject({ status: 'completed', pendingUpdates: [], diagnosis: [] });
    expect(done.state).toEqual({ status: 'done', notes: ['checked', 'held'], proceededBy: 'support-test' });

    const timeline = (await get(`/api/v1/workflows/${workflowId}/history?view=timeline`)).json() as Array<Record<string, any>>;
    const find = (event: string, name?: string) => timeline.find((e) => e.event === event && (name === undefined || e.name === name));
    expect(find('WorkflowExecutionStarted', 'inspectionSubject')).toBeDefined();
    expect(find('ActivityTaskScheduled', 'recordStep')).toBeDefined();
    // The failed first attempt is reported on the start of the second one.
    expect(find('ActivityTaskStarted', 'recordStep')).toMatchObject({
      attempt: 2,
      failure: { message: 'transient failure recording first', type: 'TransientError' },
    });
    expect(find('ActivityTaskCompleted', 'recordStep')).toMatchObject({ attempt: 2 });
    expect(find('WorkflowExecutionSignaled', 'proceed')).toBeDefined();
    expect(find('WorkflowExecutionUpdateAccepted', 'addNote')).toBeDefined();
    expect(find('WorkflowExecutionUpdateCompleted', 'holdNote')).toBeDefined();
    expect(find('TimerStarted')).toMatchObject({ kind: 'timer', detail: 'fires after 1 s' });
    expect(find('TimerFired')).toMatchObject({ name: find('TimerStarted')!.name });
    expect(timeline.at(-1)).toMatchObject({ event: 'WorkflowExecutionCompleted', kind: 'workflow' });
    expect(timeline.map((e) => e.eventId)).toEqual([...timeline.map((e) => e.eventId)].sort((a, b) => a - b));

    const raw = (await get(`/api/v1/workflows/${workflowId}/history?view=raw`)).json();
    expect(raw.events[0]).toMatchObject({ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' });
    expect(raw.events.length).toBeGreaterThan(timeline.length);
  });

  it('says why a run is stuck: the retrying activity, its attempt and last failure', async () => {
    const workflowId = `stuck-${Date.now()}`;
    const handle = await p.client.workflow.start(stuckSubject, { workflowId, taskQueue: p.taskQueue });
    try {
      const d = await eventually(
        async () => (await get(`/api/v1/workflows/${workflowId}`)).json(),
        (d) => d.pendingActivities?.[0]?.attempt >= 3,
      );
      expect(d.pendingActivities[0]).toMatchObject({
        activityType: 'callActivationSystem',
        maximumAttempts: 0,
        lastFailure: { message: 'activation system unavailable', type: 'ActivationUnavailable' },
      });
      expect(d.diagnosis.join('\n')).toMatch(
        /activity callActivationSystem \(1\) is on attempt \d+, last failure: activation system unavailable/,
      );
      expect(d.state).toBeNull();
      expect(d.stateError).toMatch(/state/);
    } finally {
      await handle.terminate('test over');
    }
  });

  it("says when no worker polls the run's task queue", async () => {
    const workflowId = `orphan-${Date.now()}`;
    const taskQueue = `nobody-polls-${workflowId}`;
    const handle = await p.client.workflow.start(stuckSubject, { workflowId, taskQueue });
    try {
      const d = (await get(`/api/v1/workflows/${workflowId}`)).json();
      expect(d.diagnosis).toContain(`no worker has polled task queue ${taskQueue} in the last minutes`);
      expect(d.stateError).not.toBeNull();
    } finally {
      await handle.terminate('test over');
    }
  });

  it('lists runs from visibility with type and status filters and a total count', async () => {
    const ids = [`list-a-${Date.now()}`, `list-b-${Date.now()}`];
    for (const workflowId of ids) {
      const h = await p.client.workflow.start(inspectionSubject, { workflowId, taskQueue: p.taskQueue });
      await h.signal(proceed, 'lister');
      await h.result();
    }
    const listed = await eventually(
      () => get('/api/v1/workflows?type=inspectionSubject&status=completed&limit=200'),
      (r) => ids.every((id) => r.json().some((w: { workflowId: string }) => w.workflowId === id)),
    );
    expect(listed.statusCode).toBe(200);
    expect(Number(listed.headers['x-total-count'])).toBeGreaterThanOrEqual(2);
    for (const w of listed.json()) expect(w).toMatchObject({ type: 'inspectionSubject', status: 'completed' });

    const page = (await get('/api/v1/workflows?type=inspectionSubject&status=completed&limit=1&offset=1')).json();
    expect(page).toHaveLength(1);
    expect((await get('/api/v1/workflows?type=noSuchType')).json()).toEqual([]);
  });

  it('answers 404 with a code for an unknown workflow, and 400 for a bad filter', async () => {
    for (const url of ['/api/v1/workflows/no-such-workflow', '/api/v1/workflows/no-such-workflow/history']) {
      const r = await get(url);
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    }
    const bad = await get("/api/v1/workflows?type=x' OR 1=1");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [expect.objectContaining({ path: 'type' })] } });
  });
});
