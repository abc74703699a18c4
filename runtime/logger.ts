import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { DrizzleQueryError } from 'drizzle-orm';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

/**
 * Where a credential would sit in a logged object. Fastify's request serializer logs no headers,
 * but a `log.info({ req })`, a `{ headers }` or an HTTP client's error logged later must not bring
 * an API key or a cookie into the logs.
 */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

/**
 * A failed query's error carries its parameters, in `params` and written into its message and
 * stack (drizzle): an API key's hash in the key lookup, a customer's e-mail elsewhere. The log
 * keeps the statement and the database's reason, never the values.
 */
export function errorWithoutQueryValues(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const logged = stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (!(e instanceof DrizzleQueryError)) continue;
    const kept = `Failed query: ${e.query}\nparams: (${e.params.length} values, not logged)`;
    for (const field of ['message', 'stack'])
      if (typeof logged[field] === 'string') logged[field] = logged[field].replaceAll(e.message, kept);
  }
  delete logged.params;
  return logged;
}

/** The process's JSON log on stdout (`destination` for a test that reads it). */
export function createLogger(level: string, name = 'orquesta', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // `err` as Fastify and we log errors; `error` as the Temporal SDK does (e.g. "Activity failed").
      serializers: { err: errorWithoutQueryValues, error: errorWithoutQueryValues },
    },
    destination,
  );
}

const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's logs (worker state, workflow and activity logs) go to the same JSON stream. */
export function temporalLogger(logger: Logger): DefaultLogger {
  const child = logger.child({ component: 'temporal' });
  return new DefaultLogger('INFO', ({ level, message, meta }) => child[pinoLevel[level]](meta ?? {}, message));
}
