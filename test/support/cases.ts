/** Starting and driving case workflows directly through Temporal, for workflow-level tests. */
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client.js';
import type { TicketRequest } from '../../domain/case-commands.js';
import type { CaseCommandRequest } from '../../workflows/case.contract.js';
import { caseCommandUpdate, caseStateQuery, caseWorkflowId } from '../../workflows/case.contract.js';
import { caseIdFor, submitCase } from '../../api/case-entry.js';
import { resolveCustomer } from '../../api/order-entry.js';

export function ticketRequest(kind: TicketRequest['kind'], o: Partial<TicketRequest> & { taxId?: string } = {}): TicketRequest {
  const { taxId = `C-${Math.random().toString(36).slice(2, 10)}`, ...rest } = o;
  return {
    kind,
    origin: 'external',
    channel: 'web',
    severity: 'major',
    customer: { name: 'Case Test SL', taxId },
    contact: { name: 'Eva Case', email: 'eva@case.example' },
    description: `${kind} case from a test`,
    ...(kind === 'defect' ? { productId: 'datahost', symptom: 'site-down' } : {}),
    ...(kind === 'billing' ? { invoiceId: 'INV-2026-0042' } : {}),
    ...rest,
  };
}

export async function startCase(client: Client, db: Db, taskQueue: string, request: TicketRequest, historyEventLimit?: number) {
  const customerId = await resolveCustomer(db, request);
  const caseId = caseIdFor(customerId, request, undefined, 'test');
  const answer = await submitCase({ client, taskQueue, answerWithinMs: 60_000, historyEventLimit }, caseId, customerId, request, {
    idempotencyKey: null,
    createdBy: 'test',
  });
  if (answer === 'pending') throw new Error(`case ${caseId} was not recorded within a minute`);
  const handle = client.workflow.getHandle(caseWorkflowId(caseId));
  const state = () => handle.query(caseStateQuery);
  const until = async (done: (s: Awaited<ReturnType<typeof state>>) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await state();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`case ${caseId} never reached the expected state; last: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const command = (r: CaseCommandRequest) => handle.executeUpdate(caseCommandUpdate, { args: [r] });
  return { caseId, customerId, handle, state, until, command };
}
