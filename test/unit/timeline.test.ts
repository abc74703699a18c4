import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJson as historyFromJSON, historyToJson } from '../../api/history-json.js';
import { describe, expect, it } from 'vitest';
import { pendingUpdates, toTimeline } from '../../api/workflow-inspection.js';

const recorded = historyFromJSON(JSON.parse(readFileSync(new URL('../histories/inspection-subject.json', import.meta.url), 'utf8')));
const events = recorded.events!;

describe('toTimeline', () => {
  const timeline = toTimeline(events);

  it('resolves names from the events referred to, and leaves workflow-task bookkeeping out', () => {
    expect(timeline.map((e) => [e.event, e.name ?? null])).toEqual(
      expect.arrayContaining([
        ['WorkflowExecutionStarted', 'inspectionSubject'],
        ['ActivityTaskScheduled', 'recordStep'],
        ['ActivityTaskStarted', 'recordStep'],
        ['ActivityTaskCompleted', 'recordStep'],
        ['WorkflowExecutionUpdateAccepted', 'addNote'],
        ['WorkflowExecutionUpdateCompleted', 'addNote'],
        ['WorkflowExecutionSignaled', 'proceed'],
        ['TimerStarted', '1'],
        ['TimerFired', '1'],
        ['WorkflowExecutionCompleted', null],
      ]),
    );
    expect(timeline.some((e) => e.event.startsWith('WorkflowTask'))).toBe(false);
    expect(timeline.length).toBeLessThan(events.length);
  });

  it("carries the attempt and the previous attempt's failure on a retried activity", () => {
    expect(timeline.find((e) => e.event === 'ActivityTaskStarted')).toMatchObject({
      kind: 'activity',
      attempt: 2,
      failure: { message: 'transient failure recording first', type: 'TransientError' },
    });
  });

  it('keeps failed workflow tasks, which mean a stuck run', () => {
    const failed = historyFromJSON({
      events: [
        {
          eventId: '99',
          eventTime: '2026-11-23T10:00:00Z',
          eventType: 'EVENT_TYPE_WORKFLOW_TASK_FAILED',
          workflowTaskFailedEventAttributes: {
            cause: 'WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR',
            failure: { message: 'nondeterminism' },
          },
        },
      ],
    });
    expect(toTimeline(failed.events!)).toEqual([
      {
        eventId: 99,
        time: new Date('2026-11-23T10:00:00Z'),
        event: 'WorkflowTaskFailed',
        kind: 'workflowTask',
        failure: { message: 'nondeterminism', type: undefined, cause: undefined },
        detail: 'WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR',
      },
    ]);
  });
});

describe('pendingUpdates', () => {
  it('is empty for a history whose updates all completed', () => {
    expect(pendingUpdates(events)).toEqual([]);
  });

  it('lists an accepted update until its completion event', () => {
    const upToAccepted = events.slice(0, events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes) + 1);
    expect(pendingUpdates(upToAccepted)).toEqual([expect.objectContaining({ name: 'addNote' })]);
  });
});

describe('toTimeline on an order history', () => {
  const order = historyFromJSON(JSON.parse(readFileSync(new URL('../histories/order-completed.json', import.meta.url), 'utf8')));
  const timeline = toTimeline(order.events!);

  it('names local activities and patches, which the history records as markers', () => {
    const local = timeline.filter((e) => e.detail === 'local activity');
    expect(new Set(local.map((e) => e.name))).toEqual(
      new Set([
        'recordOrder',
        'updateOrder',
        'openTask',
        'recordAcceptance',
        'recordRfbAcknowledgement',
        'recordTaskAction',
        'completeOrder',
        'beginStep',
      ]),
    );
    expect(local.every((e) => e.kind === 'activity' && e.attempt === 1)).toBe(true);
    expect(timeline.filter((e) => e.name === 'core_patch').map((e) => e.detail)).toEqual([
      'patch order-writes-in-order',
      'patch order-side-effects-settle',
      'patch order-phase-2-only-when-delivered',
      'patch order-cancel-as-request',
      'patch order-fallout-policies',
      'patch order-steps-write-milestones',
    ]);
  });

  it('shows every update of the order by name', () => {
    const updates = timeline.filter((e) => e.event === 'WorkflowExecutionUpdateCompleted').map((e) => e.name);
    expect(updates.sort()).toEqual([
      'acceptance',
      'acceptance',
      'acknowledgeRfb',
      'acknowledgeRfb',
      'submitOrder',
      'taskAction',
      'taskAction',
      'taskAction',
      'taskAction',
    ]);
  });
});

describe('history JSON', () => {
  const dir = new URL('../histories/', import.meta.url);
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('reads %s and writes it back as it was', (file) => {
    const json = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    const history = historyFromJSON(json);
    expect(history.events!.length).toBe(json.events.length);
    expect(historyToJson(history)).toEqual(json);
  });
});
