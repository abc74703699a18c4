/** Starting and driving recall workflows directly through Temporal, for workflow-level tests. */
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
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
  /**
   * Each call bounded and tried again: on the time-skipping server under load, now and then a
   * query or an update's answer never came back, and the test hung on it while the workflow went
   * on. An update is sent again under its id, so Temporal answers with the first one's outcome.
   */
  const bounded = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let tries = 1; ; tries++) {
      try {
        return await client.withDeadline(Date.now() + 10_000, call);
      } catch (err) {
        if (tries === 6 || !answerLost(err)) throw err;
      }
    }
  };
  const state = () => bounded(() => handle.query(recallStateQuery));
  const until = async (done: (s: Awaited<ReturnType<typeof state>>) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await state();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`recall ${recallId} never reached the expected state; last: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const command = (r: Omit<RecallCommandRequest, 'actor'>) => {
    const updateId = randomUUID();
    return bounded(() => handle.executeUpdate(recallCommandUpdate, { updateId, args: [{ ...r, actor: 'backoffice:safety-1' }] }));
  };
  const complete = (taskId: string, outcome: Record<string, unknown>) => {
    const updateId = randomUUID();
    return bounded(() =>
      handle.executeUpdate(taskActionUpdate, { updateId, args: [{ taskId, action: 'complete', actor: productSafetyOfficer, outcome }] }),
    );
  };
  return { recallId, handle, state, until, command, complete };
}

/** A call cut off by its deadline (its answer lost), as the SDK reports it. */
function answerLost(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && e.code === grpcDeadlineExceeded) return true;
  }
  return false;
}
const grpcDeadlineExceeded = 4;

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
