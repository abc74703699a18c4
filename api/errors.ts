/**
 * Errors are values with codes; this file is the one place a code becomes an HTTP status and the
 * one place any error becomes the API's error body. Nothing else a client can send yields a 500.
 */
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  ApplicationFailure,
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { z } from 'zod';
import { isDatabaseUnavailable, isStatementTimeout } from '../db/client.js';
import type { TaskRefusal } from '../workflows/inbox.contract.js';
import type { OrderRefusal } from '../workflows/order.contract.js';
import type { caseRefusals } from '../workflows/case.contract.js';
import type { RecallRefusal } from '../workflows/recall.contract.js';

/** The API's own codes; workflows' refusal codes come from their contracts. */
type ApiCode =
  | 'UNAUTHENTICATED'
  | 'INVALID_API_KEY'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'WORKFLOW_NOT_FOUND'
  | 'API_KEY_NOT_FOUND'
  | 'ORDER_NOT_FOUND'
  | 'LISTENER_NOT_FOUND'
  | 'CALLBACK_NOT_ALLOWED'
  | 'CANCEL_REQUEST_NOT_FOUND'
  | 'FALLOUT_POLICY_NOT_FOUND'
  | 'CASE_NOT_FOUND'
  | 'ESCALATION_RULE_NOT_FOUND'
  | 'UNKNOWN_SYMPTOM'
  | 'UNKNOWN_ORDER'
  | 'UNKNOWN_CALENDAR'
  | 'RECALL_CLASS_NOT_ALLOWED'
  | 'SLA_DEFINITION_NOT_FOUND'
  | 'UNKNOWN_QUESTION'
  | 'SATISFACTION_ALREADY_GIVEN'
  | 'POLICY_NOT_ALLOWED'
  | 'SIMULATOR_NOT_RUNNING'
  | 'UNKNOWN_OFFERING'
  | 'UNKNOWN_COMPONENT'
  | 'UNKNOWN_CUSTOMER'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'UNKNOWN_GROUP'
  | 'UNKNOWN_ASSIGNEE'
  | 'CUSTOMER_NOT_FOUND'
  | 'RECALL_NOT_FOUND'
  | 'NOTICE_NOT_FOUND'
  | 'NO_AFFECTED_PARTIES'
  | 'RESPONSE_CONFLICT'
  | 'QUANTITY_NOT_HELD'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'TEMPORAL_UNAVAILABLE'
  | 'INTERNAL';
export type ErrorCode = ApiCode | TaskRefusal | OrderRefusal | (typeof caseRefusals)[number] | RecallRefusal;

/** Every code's status; a code missing here fails to compile. */
const statusByCode = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_API_KEY: 401,
  FORBIDDEN: 403,
  ROUTE_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  LISTENER_NOT_FOUND: 404,
  CALLBACK_NOT_ALLOWED: 422,
  CANCEL_REQUEST_NOT_FOUND: 404,
  FALLOUT_POLICY_NOT_FOUND: 404,
  CASE_NOT_FOUND: 404,
  ESCALATION_RULE_NOT_FOUND: 404,
  UNKNOWN_SYMPTOM: 422,
  UNKNOWN_ORDER: 422,
  UNKNOWN_CALENDAR: 422,
  RECALL_CLASS_NOT_ALLOWED: 422,
  SLA_DEFINITION_NOT_FOUND: 404,
  UNKNOWN_QUESTION: 422,
  SATISFACTION_ALREADY_GIVEN: 409,
  CASE_STATUS_CONFLICT: 409,
  TRIAGE_NOT_FOR_KIND: 422,
  CASE_CONFLICT: 409,
  POLICY_NOT_ALLOWED: 422,
  SIMULATOR_NOT_RUNNING: 404,
  TASK_NOT_FOUND: 404,
  RFB_NOT_FOUND: 404,
  NOT_IN_GROUP: 403,
  TASK_STATE_CONFLICT: 409,
  TASK_ALREADY_COMPLETED: 409,
  ACCEPTANCE_NOT_EXPECTED: 409,
  RFB_WITHDRAWN: 409,
  RFB_ALREADY_ACKNOWLEDGED: 409,
  ORDER_CLOSED: 409,
  ORDER_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_OUTCOME: 422,
  UNKNOWN_GROUP: 422,
  UNKNOWN_ASSIGNEE: 422,
  UNKNOWN_OFFERING: 422,
  UNKNOWN_COMPONENT: 422,
  UNKNOWN_CUSTOMER: 422,
  CUSTOMER_NOT_FOUND: 422,
  RECALL_NOT_FOUND: 404,
  NOTICE_NOT_FOUND: 404,
  NO_AFFECTED_PARTIES: 422,
  RESPONSE_CONFLICT: 409,
  QUANTITY_NOT_HELD: 422,
  RECALL_STATUS_CONFLICT: 409,
  RECALL_CONFLICT: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  TEMPORAL_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  get status(): number {
    return statusByCode[this.code];
  }
}

export const errorBody = z
  .object({
    code: z.string().describe('Stable, machine-readable error code, e.g. TASK_ALREADY_COMPLETED'),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBody>;

/** How long a client is asked to wait (`Retry-After`) when a part the API depends on is down. */
export const retryAfterSeconds = 5;

const unavailable = errorBody.describe(
  `A part the API depends on cannot be reached: DATABASE_UNAVAILABLE or TEMPORAL_UNAVAILABLE; try again after Retry-After (${retryAfterSeconds} s)`,
);

/**
 * Responses every authenticated route may give besides its own; spread into a route's schema.
 * Every such route reads its API key from the database, so each may find it down (503), and each
 * counts against its caller's rate limit (429).
 */
export const commonErrorResponses = { 400: errorBody, 401: errorBody, 403: errorBody, 429: errorBody, 503: unavailable } as const;

/** PostgreSQL's character_not_in_repertoire and untranslatable_character (drizzle may wrap them). */
function isUntranslatableText(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === '22021' || code === '22P05') return true;
  }
  return false;
}

const grpcDeadlineExceeded = 4;
const grpcUnavailable = 14;

/**
 * Whether Temporal could not be reached (the SDK's own retries spent): gRPC UNAVAILABLE, or a
 * deadline with no answer from the server. An update whose call timed out is not this: the server
 * answered that the workflow (its worker) did not in time; nor is any failure of the workflow.
 */
function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError || e instanceof WorkflowUpdateFailedError) return false;
    if (isGrpcServiceError(e)) return e.code === grpcUnavailable || e.code === grpcDeadlineExceeded;
  }
  return false;
}

const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(statusByCode, code);

/**
 * A workflow refuses an update by failing with a code (validator or handler); find it in the cause
 * chain. A failure whose type is no code of ours is not a refusal: it stays a 500.
 */
function refusalOf(err: WorkflowUpdateFailedError): DomainError | undefined {
  for (let cause: unknown = err.cause; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) return new DomainError(cause.type, cause.message);
  }
  return undefined;
}

/** The refusal an error stands for: ours, a workflow's, or a workflow that is gone (it takes no new update); else undefined. */
export function refusalIn(err: unknown): DomainError | undefined {
  if (err instanceof WorkflowUpdateFailedError) return refusalOf(err);
  if (err instanceof DomainError) return err;
  if (err instanceof WorkflowNotFoundError) return new DomainError('WORKFLOW_NOT_FOUND', err.message);
  return undefined;
}

function toReply(err: unknown): { status: number; body: ErrorBody } {
  err = refusalIn(err) ?? err;
  if (err instanceof DomainError) return { status: err.status, body: { code: err.code, message: err.message, details: err.details } };
  if (isDatabaseUnavailable(err) || isStatementTimeout(err))
    return { status: 503, body: { code: 'DATABASE_UNAVAILABLE', message: 'The database cannot be reached or did not answer in time' } };
  if (isTemporalUnavailable(err)) return { status: 503, body: { code: 'TEMPORAL_UNAVAILABLE', message: 'Temporal cannot be reached' } };
  const fe = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const issues = fe.validation.map((v) => ({
      in: fe.validationContext,
      path: v.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.'),
      message: v.message ?? 'invalid',
    }));
    return {
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        message: `Invalid ${fe.validationContext ?? 'request'}: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
        details: { issues },
      },
    };
  }
  // Text PostgreSQL cannot hold (a NUL byte in a path or body): the client's input, not our fault.
  if (isUntranslatableText(err)) {
    return {
      status: 400,
      body: { code: 'VALIDATION_FAILED', message: 'Invalid request: text with characters the records cannot hold (e.g. NUL)' },
    };
  }
  // Fastify's own client errors (bad JSON, wrong content type, body too large) keep their status.
  if (!isResponseSerializationError(fe) && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = (fe.code ?? 'BAD_REQUEST').replace(/^FST_ERR_/, '').replace(/^CTP_/, '');
    return { status: fe.statusCode, body: { code, message: fe.message } };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'Internal error; the request id in the logs tells what happened' } };
}

/** Where in a request body a string holds a NUL byte, if anywhere (`reason`, `items.0.note`); iterative, so no nesting overflows it. */
function nulAt(body: unknown): string | undefined {
  const pending: [unknown, string][] = [[body, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'string' && value.includes('\u0000')) return path || '(body)';
    if (typeof value === 'object' && value !== null)
      for (const [key, v] of Object.entries(value)) pending.push([v, path ? `${path}.${key}` : key]);
  }
  return undefined;
}

export const errorHandling = fp(
  async (app) => {
    // Text no record can hold is refused before anything starts: a workflow that took it would
    // fail to write it, far from the request (a recall answered 202 and never written).
    app.addHook('preValidation', async (request) => {
      const at = nulAt(request.body);
      if (at)
        throw new DomainError('VALIDATION_FAILED', `Invalid body: ${at} holds a NUL character, which no record can hold`, { path: at });
    });
    app.setErrorHandler((err, request, reply) => {
      const { status, body } = toReply(err);
      // A part down is the operator's to fix, not a bug: one line each, without the stack.
      if (status === 503) {
        // Through the error serializer, which keeps a failed query's values (a key's hash) out.
        request.log.warn({ code: body.code, err }, 'request failed: a part is down');
        reply.header('retry-after', retryAfterSeconds);
      } else if (status >= 500) request.log.error({ err }, 'request failed');
      else request.log.info({ code: body.code, status }, 'request refused');
      return reply.code(status).send(body);
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'orquesta-errors' },
);
