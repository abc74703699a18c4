/**
 * What every benchmark runs on: a dev server as `npm start` runs it (a SQLite file in WAL mode), a
 * scratch PostgreSQL database (migrated), and the
 * API and the worker as processes of their own, so their memory and CPU can be read from /proc,
 * and so that a chaos run can kill each one and start it again as an operator's supervisor would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../db/scratch.js';
import { ensureTemporalBinaries } from '../runtime/temporal-binaries.js';
import { freePort, startDevServer, type RunningServer } from '../runtime/temporal-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A process's RSS now (VmRSS) or at its peak (VmHWM), in MB. */
export const rssMb = (pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export const exited = (p: ChildProcess) =>
  new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

/** Resolves once the API at `url` answers `/ready` (Temporal and the database reachable). */
export async function apiReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) })).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`API at ${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type BenchPlatform = Awaited<ReturnType<typeof startBenchPlatform>>;

export async function startBenchPlatform(o: {
  purpose: string;
  env: Record<string, string>;
  workerArgs?: string[];
  /** The PostgreSQL server the scratch database is made on; DATABASE_URL's (or the default) when unset. */
  databaseUrl?: string;
  /** Where the API's, the worker's and the dev server's output goes (`api.log`, `worker.log`, `temporal.log`); unset: the API's and worker's to our stderr. */
  logDir?: string;
}) {
  const { cli } = ensureTemporalBinaries(console.error);
  // The dev server as `npm start` runs it: a SQLite file in WAL mode (runtime/temporal-server.ts).
  const stateDir = mkdtempSync(join(tmpdir(), 'orquesta-bench-'));
  const serverPort = await freePort();
  // The same port and file at every start, so the API and the worker find it again after a restart.
  const startServer = () =>
    startDevServer({
      executable: cli!,
      port: serverPort,
      namespace: 'default',
      dbFile: join(stateDir, 'temporal.db'),
      logFile: o.logDir ? join(o.logDir, 'temporal.log') : undefined,
    });
  let server: RunningServer = await startServer();
  const scratchDb = await createScratchDatabase(o.purpose, o.databaseUrl);
  const adminKey = randomBytes(24).toString('hex');
  const apiPort = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: scratchDb.url,
    TEMPORAL_ADDRESS: server.address,
    PORT: String(apiPort),
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'warn',
    WORKER_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    ...o.env,
  };
  const migrate = spawn(process.execPath, ['--import', 'tsx', 'orquesta.ts', 'migrate'], { cwd: root, env, stdio: 'inherit' });
  await exited(migrate);
  // BENCH_BUILD=1 runs the compiled build (npm run build first), as the container does.
  const entry = process.env.BENCH_BUILD ? ['dist/orquesta.js'] : ['--import', 'tsx', 'orquesta.ts'];
  const startPart = (part: 'worker' | 'api') => {
    const out = o.logDir ? openSync(join(o.logDir, `${part}.log`), 'a') : 'inherit';
    const args = [...(part === 'worker' ? (o.workerArgs ?? []) : []), ...entry, part];
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', out] });
    if (typeof out === 'number') closeSync(out);
    return child;
  };
  let worker = startPart('worker');
  let api = startPart('api');
  const url = `http://127.0.0.1:${apiPort}`;
  await apiReady(url);
  return {
    get server() {
      return server;
    },
    get worker() {
      return worker;
    },
    get api() {
      return api;
    },
    scratchDb,
    adminKey,
    url,
    /** Starts another worker, API or dev server in place of the current one (which the caller has stopped). */
    startWorker() {
      worker = startPart('worker');
    },
    startApi() {
      api = startPart('api');
    },
    async startServer() {
      server = await startServer();
    },
    /** Stops the API and the worker (SIGTERM, so they drain). */
    async stopProcesses() {
      api.kill('SIGTERM');
      worker.kill('SIGTERM');
      await Promise.all([exited(api), exited(worker)]);
    },
    async stop() {
      await this.stopProcesses();
      await server.stop();
      await scratchDb.drop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
