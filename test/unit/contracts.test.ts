/**
 * The workflow contracts as the API and the workflows rely on them: the refusal rules, one HTTP
 * status per refusal code, the workflow type names the API starts, and a workflow bundle that
 * carries no zod (evaluated in every workflow context, it costs CPU per new workflow).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { DomainError } from '../../api/errors.js';
import * as workflows from '../../workflows/index.js';
import { taskRefusals } from '../../workflows/inbox.contract.js';
import { taskOutcomes } from '../../domain/task-commands.js';
import {
  acceptanceVerdict,
  cancelVerdict,
  orderRefusals,
  orderWorkflowType,
  rfbAcknowledgementVerdict,
} from '../../workflows/order.contract.js';

describe('order rules', () => {
  it('takes an acceptance only for the phase the order awaits', () => {
    expect(acceptanceVerdict({ orderId: 'O', awaitedAcceptance: 1 }, 1)).toEqual({ ok: true });
    expect(acceptanceVerdict({ orderId: 'O', awaitedAcceptance: 1 }, 2)).toMatchObject({
      ok: false,
      code: 'ACCEPTANCE_NOT_EXPECTED',
      message: expect.stringContaining('awaits acceptance 1'),
    });
    expect(acceptanceVerdict({ orderId: 'O', awaitedAcceptance: null }, 1)).toMatchObject({ ok: false, code: 'ACCEPTANCE_NOT_EXPECTED' });
  });

  it.each([
    ['inProgress', false, true],
    ['held', false, true],
    ['acknowledged', false, true],
    ['inProgress', true, false],
    ['pendingCancellation', false, false],
    ['completed', false, false],
    ['cancelled', false, false],
  ] as const)('cancels an order that is %s (cancel already requested: %s): %s', (state, cancelRequested, ok) => {
    expect(cancelVerdict({ orderId: 'O', state, cancelRequested })).toMatchObject(ok ? { ok } : { ok, code: 'ORDER_CLOSED' });
  });

  it.each([
    [undefined, 'accepted', { ok: false, code: 'RFB_NOT_FOUND' }],
    ['withdrawn', 'accepted', { ok: false, code: 'RFB_WITHDRAWN' }],
    ['sent', 'accepted', { ok: true, duplicate: false }],
    ['accepted', 'accepted', { ok: true, duplicate: true }],
    ['accepted', 'rejected', { ok: false, code: 'RFB_ALREADY_ACKNOWLEDGED' }],
    ['rejected', 'accepted', { ok: false, code: 'RFB_ALREADY_ACKNOWLEDGED' }],
  ] as const)('answers an RFB that is %s acknowledged as %s with %j', (status, answer, verdict) => {
    const rfb = status && { id: 'R', phase: 1, status };
    expect(rfbAcknowledgementVerdict(rfb, { rfbId: 'R', status: answer })).toMatchObject(verdict);
  });

  it('checks a fallout outcome by the same rule in the API schema and in the workflow', () => {
    expect(taskOutcomes.fallout.safeParse({ action: 'skip' }).error?.issues.map((i) => i.message)).toEqual(['a skip needs a reason']);
    expect(taskOutcomes.fallout.safeParse({ action: 'skip', reason: 'billed by hand' }).success).toBe(true);
    expect(taskOutcomes.manualFulfilment.safeParse({ done: true, extra: 1 }).success).toBe(false);
  });
});

describe('contracts', () => {
  it('maps every refusal code a workflow can send to a 4xx status', () => {
    for (const code of [...orderRefusals, ...taskRefusals]) {
      const status = new DomainError(code, 'refused').status;
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(500);
    }
  });

  it('starts workflows by type names the worker registers', () => {
    expect(typeof (workflows as Record<string, unknown>)[orderWorkflowType]).toBe('function');
  });

  it('keeps zod out of the workflow bundle', () => {
    const bundle = readFileSync(inject('workflowBundlePath'), 'utf8');
    expect(bundle).toMatch(/workflows\/order\.ts/);
    expect(bundle).not.toMatch(/node_modules\/zod\//);
  });
});
