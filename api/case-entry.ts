/**
 * Case entry (seed 003, 5.3.4): the customer and contact exactly as in order entry, the case id
 * derived the same way, and the case's workflow started with an update that answers once the
 * case is written (update-with-start: readable at once).
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { products } from '../db/schema.js';
import type { SubmitCase, TicketRequest } from '../domain/case-commands.js';
import { caseWorkflowId, caseWorkflowType, submitCaseUpdate, type CaseWorkflow } from '../workflows/case.contract.js';
import { DomainError } from './errors.js';
import { answerWithin, idFor, requestHashOf } from './order-entry.js';

export const caseIdFor = (customerId: string, request: TicketRequest, idempotencyKey: string | undefined, keyId: string) =>
  idFor('TT', customerId, request, idempotencyKey, keyId);

/** A defect names a catalogue product and one of its symptoms. */
export async function checkProduct(db: Db, request: TicketRequest): Promise<void> {
  if (!request.productId) return;
  const [product] = await db.select({ symptoms: products.symptoms }).from(products).where(eq(products.id, request.productId));
  if (!product) throw new DomainError('UNKNOWN_OFFERING', `Unknown product ${request.productId}`, { productId: request.productId });
  if (request.symptom && !product.symptoms.some((s) => s.id === request.symptom))
    throw new DomainError('UNKNOWN_SYMPTOM', `Product ${request.productId} has no symptom ${request.symptom}`, {
      symptoms: product.symptoms.map((s) => s.id),
    });
}

export async function submitCase(
  deps: { client: Client; taskQueue: string; answerWithinMs: number; historyEventLimit?: number },
  caseId: string,
  customerId: string,
  request: TicketRequest,
  o: { idempotencyKey: string | null; createdBy: string },
): Promise<'created' | 'repeated' | 'pending'> {
  const submit: SubmitCase = {
    ...request,
    caseId,
    customerId,
    externalId: request.externalId ?? null,
    requestHash: requestHashOf(request),
    idempotencyKey: o.idempotencyKey,
    createdBy: o.createdBy,
  };
  const recorded = deps.client.workflow.executeUpdateWithStart(submitCaseUpdate, {
    args: [submit],
    updateId: `submit-${caseId}-${randomUUID()}`,
    startWorkflowOperation: new WithStartWorkflowOperation<CaseWorkflow>(caseWorkflowType, {
      workflowId: caseWorkflowId(caseId),
      taskQueue: deps.taskQueue,
      args: [{ caseId, ...(deps.historyEventLimit ? { historyEventLimit: deps.historyEventLimit } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return answerWithin(recorded, deps.answerWithinMs);
}
