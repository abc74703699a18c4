/**
 * A PostgreSQL connection lost under a transaction fails that transaction; it does not take the
 * process down. postgres.js 3.4.9 wrote the transaction's own rollback to the closed socket from
 * an immediate, and the TypeError it threw killed the worker when `npm run chaos` restarted
 * PostgreSQL (porsager/postgres#1208; patches/postgres+3.4.9.patch, applied at install).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client.js';

let database: Database;
let killer: Database;
const uncaught: Error[] = [];
const record = (err: Error) => uncaught.push(err);

beforeAll(async () => {
  process.on('uncaughtException', record);
  database = await openDatabase({ url: inject('databaseUrl'), poolSize: 2, dataDir: '.data' });
  killer = await openDatabase({ url: inject('databaseUrl'), poolSize: 1, dataDir: '.data' });
});
afterAll(async () => {
  process.off('uncaughtException', record);
  await database.close();
  await killer.close();
});

it('fails the transaction whose connection died mid-statement, and the next query gets a new connection', async () => {
  let backend: number | undefined;
  const transaction = database.db.transaction(async (tx) => {
    const [row] = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as { pid: number }[];
    backend = row!.pid;
    await tx.execute(sql`select pg_sleep(5)`);
  });
  await expect.poll(() => backend).toBeDefined();
  await killer.db.execute(sql`select pg_terminate_backend(${backend})`);

  await expect(transaction).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  const [after] = (await database.db.execute(sql`select 3 as three`)) as unknown as { three: number }[];
  expect(after!.three).toBe(3);
  // The unpatched driver's TypeError came an immediate after the rejection: let one pass.
  await new Promise((resolve) => setImmediate(resolve));
  expect(uncaught).toEqual([]);
});
