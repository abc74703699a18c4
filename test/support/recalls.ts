/** Starting and driving recall workflows directly through Temporal, for workflow-level tests. */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { recallIdFor, submitRecall } from '../../api/recall-entry.js';
import type { RecallRequest } from '../../domain/recall-commands.js';
import { taskActionUpdate } from '../../workflows/inbox.contract.js';
import { recallCommandUpdate, recallStateQuery, recallWorkflowId, type RecallCommandRequest } from '../../workflows/recall.contract.js';

/** A recall of web space, limited to the given instances (other tests hold web space too). */
export function webSpaceRecall(serviceIds: string[], o: Partial<RecallRequest> = {}): RecallRequest {
  return {
    productId: 'datahost',
    componentId: 'datahost.web-space',
    reason: 'Storage firmware 4.2 may silently corrupt files written under load',
    hazard: 'Customer data loss',
    instructions: 'Move to the replacement volume offered in your control panel, then answer remedied.',
    scope: { serviceIds },
    ...o,
  };
}

export const productSafetyOfficer = { keyId: 'safety-1', role: 'backoffice', groups: ['product-safety'] };

export async function startRecall(
  client: Client,
  taskQueue: string,
  request: RecallRequest,
  historyEventLimit?: number,
  idempotencyKey: string = randomUUID(),
  partiesPerActivity?: number,
) {
  const recallId = recallIdFor(request, idempotencyKey, 'test');
  const answer = await submitRecall(
    { client, taskQueue, answerWithinMs: 60_000, historyEventLimit, partiesPerActivity },
    recallId,
    request,
    {
      idempotencyKey: null,
      createdBy: 'test',
    },
  );
  if (answer === 'pending') throw new Error(`recall ${recallId} was not recorded within a minute`);
  return driveRecall(client, recallId);
}

/** What a test does with a recall's workflow: read its state, wait for one, give commands, complete its tasks. */
export function driveRecall(client: Client, recallId: string) {
  const handle = client.workflow.getHandle(recallWorkflowId(recallId));
  const state = () => handle.query(recallStateQuery);
  const until = async (done: (s: Awaited<ReturnType<typeof state>>) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await state();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`recall ${recallId} never reached the expected state; last: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const command = (r: Omit<RecallCommandRequest, 'actor'>) =>
    handle.executeUpdate(recallCommandUpdate, { args: [{ ...r, actor: 'backoffice:safety-1' }] });
  const complete = (taskId: string, outcome: Record<string, unknown>) =>
    handle.executeUpdate(taskActionUpdate, { args: [{ taskId, action: 'complete', actor: productSafetyOfficer, outcome }] });
  return { recallId, handle, state, until, command, complete };
}

/** The history length of each run of a workflow, following continue-as-new from its first run. */
export async function historyLengths(client: Client, workflowId: string, firstRunId: string): Promise<number[]> {
  const lengths: number[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const events: temporal.api.history.v1.IHistoryEvent[] =
      (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    lengths.push(events.length);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}
