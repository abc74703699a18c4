import postgres from 'postgres';

/** The PostgreSQL these machines run; DATABASE_URL overrides it. */
export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A throw-away database on the server DATABASE_URL points at, for a test run, a benchmark or a
 * recording: created empty, dropped (with its connections) by `drop()`.
 */
export async function createScratchDatabase(
  purpose: string,
  /** The server to make it on; DATABASE_URL's when unset. */
  base = process.env.DATABASE_URL || defaultDatabaseUrl,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `orquesta_${purpose}_${process.pid}_${Date.now()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
