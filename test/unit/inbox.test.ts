import { describe, expect, it } from 'vitest';
import { applyTaskAction, type TaskActionRequest, type TaskState } from '../../workflows/inbox.contract.js';

const ana = { keyId: 'ana', role: 'backoffice', groups: ['provisioning'] };
const bob = { keyId: 'bob', role: 'backoffice', groups: ['provisioning'] };
const open: TaskState = { id: 't1', kind: 'manualFulfilment', group: 'provisioning', assignee: null, status: 'opened', version: 1 };
const act = (task: TaskState | undefined, r: Partial<TaskActionRequest>) =>
  applyTaskAction(task, { taskId: 't1', action: 'claim', actor: ana, ...r } as TaskActionRequest);

describe('task rules', () => {
  it('walks opened -> inProgress -> completed with claims, a release and a forward', () => {
    expect(act(open, { action: 'claim' })).toMatchObject({ ok: true, next: { assignee: 'ana', status: 'opened' } });
    expect(act({ ...open, assignee: 'ana' }, { action: 'release' })).toMatchObject({ ok: true, next: { assignee: null } });
    expect(act(open, { action: 'start' })).toMatchObject({ ok: true, next: { status: 'inProgress', assignee: 'ana' } });
    expect(
      act({ ...open, status: 'inProgress', assignee: 'ana' }, { action: 'forward', toGroup: 'fallout', message: 'look' }),
    ).toMatchObject({ ok: true, next: { group: 'fallout', status: 'opened', assignee: null } });
    expect(act({ ...open, status: 'inProgress', assignee: 'ana' }, { action: 'complete', outcome: { done: true } })).toMatchObject({
      ok: true,
      next: { status: 'completed' },
      outcome: { done: true },
    });
  });

  it.each([
    [undefined, { action: 'claim' }, 'TASK_NOT_FOUND'],
    [open, { action: 'claim', actor: { keyId: 'eve', role: 'backoffice', groups: ['billing-ops'] } }, 'NOT_IN_GROUP'],
    [{ ...open, assignee: 'bob' }, { action: 'claim' }, 'TASK_STATE_CONFLICT'],
    [{ ...open, status: 'inProgress' }, { action: 'start' }, 'TASK_STATE_CONFLICT'],
    [open, { action: 'release' }, 'TASK_STATE_CONFLICT'],
    [{ ...open, status: 'completed' }, { action: 'complete', outcome: { done: true } }, 'TASK_ALREADY_COMPLETED'],
    [{ ...open, status: 'cancelled' }, { action: 'start' }, 'TASK_STATE_CONFLICT'],
    [open, { action: 'complete', outcome: { done: 'yes' } }, 'INVALID_OUTCOME'],
    [{ ...open, kind: 'fallout' }, { action: 'complete', outcome: { action: 'skip' } }, 'INVALID_OUTCOME'],
    [open, { action: 'forward' }, 'VALIDATION_FAILED'],
  ] as const)('refuses %j %j with %s', (task, request, code) => {
    expect(act(task as TaskState | undefined, request as Partial<TaskActionRequest>)).toMatchObject({ ok: false, code });
  });

  it("lets an admin act in any group and release someone else's claim", () => {
    const admin = { keyId: 'root', role: 'admin', groups: [] };
    expect(act({ ...open, assignee: 'bob' }, { action: 'release', actor: admin })).toMatchObject({ ok: true });
    expect(act({ ...open, assignee: 'bob' }, { action: 'release', actor: ana })).toMatchObject({ ok: false });
    expect(act({ ...open, assignee: 'bob' }, { action: 'start', actor: bob })).toMatchObject({ ok: true });
  });
});
