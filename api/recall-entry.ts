/**
 * Recall initiation (seed 004, 6.4.1): the product and component checked, the affected parties
 * counted (a recall of nobody is refused), the id derived like an order's, and the recall's
 * workflow started with an update that answers once the recall and its parties are written.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { countAffected } from '../db/recalls.js';
import { productComponents, products } from '../db/schema.js';
import type { RecallRequest, SubmitRecall } from '../domain/recall-commands.js';
import { recallWorkflowId, recallWorkflowType, submitRecallUpdate, type RecallWorkflow } from '../workflows/recall.contract.js';
import { DomainError } from './errors.js';
import { answerWithin, idFor, requestHashOf } from './order-entry.js';

export const recallIdFor = (request: RecallRequest, idempotencyKey: string | undefined, keyId: string) =>
  idFor('RCL', request.productId, {}, idempotencyKey, keyId);

/** The product and component exist, and the scope reaches somebody. */
export async function checkRecall(db: Db, request: RecallRequest): Promise<void> {
  const [product] = await db.select({ id: products.id }).from(products).where(eq(products.id, request.productId));
  if (!product) throw new DomainError('UNKNOWN_OFFERING', `Unknown product ${request.productId}`, { productId: request.productId });
  if (request.componentId) {
    const [component] = await db
      .select({ id: productComponents.id })
      .from(productComponents)
      .where(and(eq(productComponents.id, request.componentId), eq(productComponents.productId, request.productId)));
    if (!component)
      throw new DomainError('UNKNOWN_COMPONENT', `Product ${request.productId} has no component ${request.componentId}`, {
        componentId: request.componentId,
      });
  }
  const { parties } = await countAffected(db, request);
  if (parties === 0)
    throw new DomainError('NO_AFFECTED_PARTIES', 'No customer holds an active instance within this scope: nobody to recall from', {
      scope: request.scope,
    });
}

export async function submitRecall(
  deps: { client: Client; taskQueue: string; answerWithinMs: number; historyEventLimit?: number; partiesPerActivity?: number },
  recallId: string,
  request: RecallRequest,
  o: { idempotencyKey: string | null; createdBy: string },
): Promise<'created' | 'repeated' | 'pending'> {
  const submit: SubmitRecall = {
    ...request,
    recallId,
    requestHash: requestHashOf(request),
    idempotencyKey: o.idempotencyKey,
    createdBy: o.createdBy,
  };
  const recorded = deps.client.workflow.executeUpdateWithStart(submitRecallUpdate, {
    args: [submit],
    updateId: `submit-${recallId}-${randomUUID()}`,
    startWorkflowOperation: new WithStartWorkflowOperation<RecallWorkflow>(recallWorkflowType, {
      workflowId: recallWorkflowId(recallId),
      taskQueue: deps.taskQueue,
      args: [
        {
          recallId,
          ...(deps.historyEventLimit ? { historyEventLimit: deps.historyEventLimit } : {}),
          ...(deps.partiesPerActivity ? { partiesPerActivity: deps.partiesPerActivity } : {}),
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return answerWithin(recorded, deps.answerWithinMs);
}
