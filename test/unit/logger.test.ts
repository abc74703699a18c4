import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/logger.js';

/** The lines a logger at `info` writes, parsed. */
function captured() {
  const lines: string[] = [];
  const logger = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('the logger', () => {
  const statement = 'select "id" from "api_keys" where "key_hash" = $1 limit $2';
  const failedLookup = () =>
    new DrizzleQueryError(
      statement,
      ['5e3f0c-the-hash', 1],
      Object.assign(new Error('permission denied for table api_keys'), { code: '42501' }),
    );

  it('logs a failed query with its statement and reason but not its values, as err (ours) and as error (the SDK), wrapped or not', () => {
    const { logger, lines, entries } = captured();
    logger.error({ err: failedLookup() }, 'request failed');
    logger.warn({ error: failedLookup() }, 'Activity failed');
    logger.error({ err: new Error('could not read the key', { cause: failedLookup() }) }, 'wrapped');
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.includes('5e3f0c-the-hash'))).toEqual([]);
    const [ours, sdk, wrapped] = entries();
    for (const e of [ours!.err, sdk!.error]) {
      expect(e.message).toBe(`Failed query: ${statement}\nparams: (2 values, not logged): permission denied for table api_keys`);
      expect(e.stack).toContain('params: (2 values, not logged)');
      expect(e).not.toHaveProperty('params');
      expect(e.query).toBe(statement);
    }
    expect(wrapped!.err.message).toContain('could not read the key: Failed query: select');
    expect(wrapped!.err.stack).toContain('permission denied for table api_keys');
  });

  it('redacts authorization and cookie headers wherever a request or its headers are logged', () => {
    const { logger, lines } = captured();
    logger.info({ req: { headers: { authorization: 'Bearer orq_secret', cookie: 's=1' } } }, 'a request');
    logger.info({ headers: { authorization: 'Bearer orq_secret' } }, 'headers');
    logger.info({ response: { headers: { authorization: 'Bearer orq_secret' } } }, 'nested');
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.includes('orq_secret') || l.includes('s=1'))).toEqual([]);
    expect(lines.every((l) => l.includes('[redacted]'))).toBe(true);
  });
});
