/**
 * Case entry (seed 003, 5.3.4): the customer and contact exactly as in order entry, the case id
 * derived the same way, and the case's workflow started with an update that answers once the
 * case is written (update-with-start: readable at once).
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { productOrders, products } from '../db/schema.js';
import type { CaseCommandBody, SubmitCase, TicketRequest } from '../domain/case-commands.js';
import { caseWorkflowId, caseWorkflowType, submitCaseUpdate, type CaseWorkflow } from '../workflows/case.contract.js';
import { DomainError } from './errors.js';
import { answerWithin, idFor, requestHashOf } from './order-entry.js';

export const caseIdFor = (customerId: string, request: TicketRequest, idempotencyKey: string | undefined, keyId: string) =>
  idFor('TT', customerId, request, idempotencyKey, keyId);

/** A defect names a catalogue product and one of its symptoms; a related order is one of the customer's. */
export async function checkProduct(db: Db, request: TicketRequest, customerId: string): Promise<void> {
  if (request.relatedOrderId) {
    const [order] = await db
      .select({ customerId: productOrders.customerId })
      .from(productOrders)
      .where(eq(productOrders.id, request.relatedOrderId));
    if (!order || order.customerId !== customerId)
      throw new DomainError('UNKNOWN_ORDER', `The customer has no order ${request.relatedOrderId}`, {
        relatedOrderId: request.relatedOrderId,
      });
  }
  if (!request.productId) return;
  const [product] = await db.select({ symptoms: products.symptoms }).from(products).where(eq(products.id, request.productId));
  if (!product) throw new DomainError('UNKNOWN_OFFERING', `Unknown product ${request.productId}`, { productId: request.productId });
  if (request.symptom && !product.symptoms.some((s) => s.id === request.symptom))
    throw new DomainError('UNKNOWN_SYMPTOM', `Product ${request.productId} has no symptom ${request.symptom}`, {
      symptoms: product.symptoms.map((s) => s.id),
    });
}

/** Triage answers the product's own questions, each once. */
export async function checkTriage(db: Db, c: { productId: string | null }, triage: CaseCommandBody<'triage'>): Promise<void> {
  const [product] = c.productId
    ? await db.select({ questions: products.triageQuestions }).from(products).where(eq(products.id, c.productId))
    : [];
  const known = new Set((product?.questions ?? []).map((q) => q.id));
  const ids = triage.answers.map((a) => a.questionId);
  const strangers = ids.filter((id, i) => !known.has(id) || ids.indexOf(id) !== i);
  if (strangers.length)
    throw new DomainError('UNKNOWN_QUESTION', `Triage answers ${c.productId}'s questions, each once: not ${strangers.join(', ')}`, {
      questions: [...known],
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
