/**
 * What every benchmark runs on: a dev server as `npm start` runs it (a SQLite file in WAL mode), a
 * scratch PostgreSQL database (migrated), and the
 * API and the worker as processes of their own, so their memory and CPU can be read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../db/scratch.js';
import { ensureTemporalBinaries } from '../runtime/temporal-binaries.js';
import { freePort, startDevServer } from '../runtime/temporal-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A process's RSS now (VmRSS) or at its peak (VmHWM), in MB. */
export const rssMb = (pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export async function startBenchPlatform(o: { purpose: string; env: Record<string, string>; workerArgs?: string[] }) {
  const { cli } = ensureTemporalBinaries(console.error);
  // The dev server as `npm start` runs it: a SQLite file in WAL mode (runtime/temporal-server.ts).
  const stateDir = mkdtempSync(join(tmpdir(), 'orquesta-bench-'));
  const server = await startDevServer({
    executable: cli!,
    port: await freePort(),
    namespace: 'default',
    dbFile: join(stateDir, 'temporal.db'),
  });
  const scratchDb = await createScratchDatabase(o.purpose);
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
  await new Promise((resolve) => migrate.on('exit', resolve));
  // BENCH_BUILD=1 runs the compiled build (npm run build first), as the container does.
  const entry = process.env.BENCH_BUILD ? ['dist/orquesta.js'] : ['--import', 'tsx', 'orquesta.ts'];
  const worker = spawn(process.execPath, [...(o.workerArgs ?? []), ...entry, 'worker'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const api = spawn(process.execPath, [...entry, 'api'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) break;
    } catch {}
    if (i > 600) throw new Error('API not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null ? r(undefined) : p.on('exit', r)));
  return {
    server,
    scratchDb,
    adminKey,
    url,
    worker,
    api,
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
