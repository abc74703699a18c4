/**
 * How the API's client talks to Temporal, so that while the server cannot be reached a request
 * fails in about a second (and answers 503) and after it is back the next ones succeed within a
 * couple of seconds. The SDK's defaults suit a worker, which should wait: ten attempts over about
 * 20 s per call (past order entry's 202 deadline, so an order never started would be answered as
 * accepted), and gRPC's reconnection backoff growing to two minutes.
 */
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

export const apiConnectionOptions = {
  // Four attempts ride out a blip of a few hundred milliseconds (a server restarting, a leader moving).
  interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
  channelArgs: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 2_000 },
} satisfies ConnectionOptions;
