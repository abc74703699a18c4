import { readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
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

  it('carries the attempt and the previous attempt\'s failure on a retried activity', () => {
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
          workflowTaskFailedEventAttributes: { cause: 'WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR', failure: { message: 'nondeterminism' } },
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
