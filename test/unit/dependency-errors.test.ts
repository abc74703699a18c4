/**
 * Which errors say a part is down (503 with Retry-After and the part's code) and which do not,
 * in the shapes postgres.js, drizzle and the Temporal client give them. The real outages are in
 * test/api/unavailable.test.ts; here are the neighbours that must not be taken for one.
 */
import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandling, retryAfterSeconds } from '../../api/errors.js';

/** As postgres.js raises it; drizzle wraps it with the failed query's text. */
const postgresError = (code: string) =>
  new Error('Failed query: select 1', { cause: Object.assign(new Error(`postgres ${code}`), { code }) });
/** As @grpc/grpc-js raises it. */
const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });

const cases: [string, () => Error, number, string][] = [
  ['connection refused', () => postgresError('ECONNREFUSED'), 503, 'DATABASE_UNAVAILABLE'],
  ['connection closed by postgres.js', () => postgresError('CONNECTION_CLOSED'), 503, 'DATABASE_UNAVAILABLE'],
  ['server shutting down (57P01)', () => postgresError('57P01'), 503, 'DATABASE_UNAVAILABLE'],
  ['statement_timeout (57014)', () => postgresError('57014'), 503, 'DATABASE_UNAVAILABLE'],
  ['unique violation (23505)', () => postgresError('23505'), 500, 'INTERNAL'],
  [
    'gRPC UNAVAILABLE',
    () => new ServiceError('Failed to query Workflow', { cause: grpcError(14, 'No connection established') }),
    503,
    'TEMPORAL_UNAVAILABLE',
  ],
  ['gRPC UNAVAILABLE, unwrapped (fetchHistory)', () => grpcError(14, 'No connection established'), 503, 'TEMPORAL_UNAVAILABLE'],
  [
    'gRPC DEADLINE_EXCEEDED',
    () => new ServiceError('Failed to describe', { cause: grpcError(4, 'Deadline exceeded') }),
    503,
    'TEMPORAL_UNAVAILABLE',
  ],
  ['gRPC INVALID_ARGUMENT', () => new ServiceError('Failed to start', { cause: grpcError(3, 'bad request') }), 500, 'INTERNAL'],
  [
    'an update the workflow did not answer in time',
    () => new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpcError(4, 'Deadline exceeded') }),
    500,
    'INTERNAL',
  ],
  [
    'an update that failed in the workflow',
    () => new WorkflowUpdateFailedError('Workflow Update failed', new Error('boom')),
    500,
    'INTERNAL',
  ],
];

const app = Fastify();
beforeAll(async () => {
  await app.register(errorHandling);
  cases.forEach(([, error], i) =>
    app.get(`/${i}`, async () => {
      throw error();
    }),
  );
  await app.ready();
});
afterAll(() => app.close());

describe('a part down, told from other errors', () => {
  it.each(cases.map((c, i) => [...c, i] as const))('%s: %i %s', async (_what, _error, status, code, i) => {
    const r = await app.inject(`/${i}`);
    expect(r.statusCode).toBe(status);
    expect(r.json().code).toBe(code);
    expect(r.headers['retry-after']).toBe(status === 503 ? String(retryAfterSeconds) : undefined);
  });
});
