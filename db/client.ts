/**
 * Opens the database: PostgreSQL through postgres.js when DATABASE_URL is set, else the embedded
 * PGlite under DATA_DIR so `npm start` works on a laptop with no server. Both speak the same SQL and
 * carry the same drizzle schema; the rest of the code sees one `Db` type.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * How long anything may wait on PostgreSQL, so a request in an outage fails in seconds (the API
 * answers 503) and one after it succeeds at once. postgres.js's own backoff between connection
 * attempts grows with every failure, shared by the whole pool, up to 20 s: after a restart of
 * under a second, requests waited up to 19.5 s for a connection the server would have accepted.
 * Here a closed connection is tried again within half a second, and a connection attempt no
 * server answers gives up after 5 s. No statement a request makes runs for seconds: one that does is stuck
 * behind a lock or on a server in trouble, and holding a request and a pool connection longer
 * helps nobody; a transaction left idle by a vanished client gives back its locks.
 */
const boundedWaits = {
  connect_timeout: 5,
  backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 0.5),
  connection: { statement_timeout: 20_000, idle_in_transaction_session_timeout: 60_000 },
};

/**
 * The one work that rightly runs past that bound: a worker's bulk statement, such as a recall's
 * parties found and written in one statement at initiation (100,000 parties took 2 to 5 s on the
 * project machine, README; a larger recall or a busier server takes longer). It is no request
 * anyone waits on, so its transaction gets ten minutes, still a bound: a statement stuck that long
 * gives its connection back (the activity that runs it has its own start-to-close besides, a
 * minute for initiation: workflows/recall.ts). `SET LOCAL`: the bound is the transaction's only,
 * the connection goes back to the pool with the usual one.
 */
const bulkStatementTimeout = '10min';

/** A transaction for bulk work: `work`'s statements are bound by `bulkStatementTimeout`, not by the usual 20 s. */
export function bulkTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // set_config(..., true) is SET LOCAL with the value as a parameter.
    await tx.execute(sql`select set_config('statement_timeout', ${bulkStatementTimeout}, true)`);
    return work(tx);
  });
}

export async function openDatabase(o: { url?: string; poolSize: number; dataDir: string }): Promise<Database> {
  if (o.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const client = postgres(o.url, { max: o.poolSize, onnotice: () => {}, ...boundedWaits });
    const db = drizzle(client, { schema });
    return {
      db: db as unknown as Db,
      kind: 'postgres',
      // One connection holding an advisory lock, so processes starting together migrate in turn.
      migrate: async () => {
        const single = postgres(o.url!, { max: 1, onnotice: () => {} });
        try {
          await single`select pg_advisory_lock(7233001)`;
          await migrate(drizzle(single, { schema }), { migrationsFolder });
        } finally {
          await single.end({ timeout: 5 });
        }
      },
      ping: async () => void (await db.execute(sql`select 1`)),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  mkdirSync(o.dataDir, { recursive: true });
  const client = await PGlite.create(join(o.dataDir, 'pglite'));
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    migrate: () => migrate(db, { migrationsFolder }),
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.close(),
  };
}

/** Connection-level codes of postgres.js and Node, and the SQLSTATEs of a server going away or full. */
const unavailableCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Whether an error (drizzle may wrap it) says the database could not be reached, not that a statement was wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
  }
  return false;
}

/** A statement cut short by statement_timeout (or cancelled by an operator): the database is slow or busy, the statement is not wrong. */
export function isStatementTimeout(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if ((e as { code?: string }).code === '57014') return true;
  return false;
}

/** PostgreSQL's unique_violation, as postgres.js or PGlite raise it (drizzle may wrap it). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if ((e as { code?: string }).code === '23505') return true;
  return false;
}
