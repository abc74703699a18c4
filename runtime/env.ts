import { z } from 'zod';

/**
 * Parses one slice of the environment with its zod schema, once. A bad value stops the process with
 * the variable's name, so a misconfigured deployment fails at start rather than on first use.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Empty strings count as unset: `FOO= npm start` should mean "default", not "invalid". */
export const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
