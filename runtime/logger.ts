import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';

export function createLogger(level: string, name = 'orquesta'): Logger {
  return pino({ name, level });
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
