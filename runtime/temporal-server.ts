/**
 * Runs the local Temporal servers as real child processes: the CLI's dev server (for `npm start`
 * and the API tests) and the time-skipping test server (for timer tests).
 *
 * We launch them ourselves rather than through the SDK's ephemeral-server helper because that
 * helper gives a server about 5 s to answer, too little on a loaded 2-core machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { caseSearchAttributes } from '../workflows/case.contract.js';
import { recallSearchAttributes } from '../workflows/recall.contract.js';

/** The keyword search attributes support filters workflows by (every one a Keyword). */
const searchAttributeKeys = [...Object.values(caseSearchAttributes), ...Object.values(recallSearchAttributes)];

/** Server features the platform relies on; recent dev servers enable most already, we do not rely on that. */
const dynamicConfig = {
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.enableExecuteMultiOperation': true,
  'system.enableEagerWorkflowStart': true,
  'system.enableActivityEagerExecution': true,
};

export interface RunningServer {
  address: string;
  pid: number;
  /** Resolves when the process has ended, however it ended. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  executable: string;
  port: number;
  /** The web UI's port; undefined runs the server headless. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; undefined keeps them in memory. */
  dbFile?: string;
  namespace: string;
  /** Server output goes here; undefined discards it. */
  logFile?: string;
  ip?: string;
}

export async function startDevServer(o: DevServerOptions): Promise<RunningServer> {
  const ip = o.ip ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(o.port), '--log-level', 'warn', '--log-format', 'json'];
  if (o.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort));
  if (o.dbFile) {
    mkdirSync(dirname(o.dbFile), { recursive: true });
    // The shipped journal settings commit every write with a full sync: measured here, the same
    // raw-Temporal order shape ran 1.9 orders/s that way, 4.7 with WAL, 5.2 in memory (design
    // section 7). WAL with synchronous=normal still survives a crash of the process; only a power
    // loss may lose the last transactions, which a laptop's dev server can afford.
    args.push('--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  // The case and recall workflows' search attributes (their contracts).
  for (const key of searchAttributeKeys) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [key, value] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return launch(o.executable, args, `${ip}:${o.port}`, o.logFile);
}

export async function startTimeSkippingServer(o: { executable: string; port: number; logFile?: string }): Promise<RunningServer> {
  return launch(o.executable, [String(o.port)], `127.0.0.1:${o.port}`, o.logFile);
}

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

async function launch(executable: string, args: string[], address: string, logFile?: string): Promise<RunningServer> {
  let out: number | 'ignore' = 'ignore';
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    out = openSync(logFile, 'a');
  }
  // Its own process group: a terminal's Ctrl-C reaches our process first, so the worker drains
  // against a live server before we stop the server ourselves.
  // setpriv's parent-death signal stops the server even when we are killed outright (SIGKILL).
  const [command, commandArgs] = setpriv ? [setpriv, ['--pdeathsig', 'SIGTERM', executable, ...args]] : [executable, args];
  const child = spawn(command, commandArgs, { stdio: ['ignore', out, out], detached: true });
  if (typeof out === 'number') closeSync(out);
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A server that died (or was killed) needs no killing at our exit; a restarted one adds its own.
  void exited.then(() => process.off('exit', killOnExit));
  try {
    await waitUntilServing(address, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    pid: child.pid!,
    exited,
    async stop() {
      process.off('exit', killOnExit);
      await terminate(child, exited);
    },
  };
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Polls until the frontend answers a real RPC, or fails early if the process dies. */
export async function waitUntilServing(address: string, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`Temporal server at ${address} exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/** A port that was free a moment ago; good enough for servers we start right after. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(ip: string, port: number, hint: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, ip, () => server.close(() => resolve(true)));
  });
  if (!free) throw new Error(`Port ${ip}:${port} is already in use. ${hint}`);
}

/**
 * Registers the case and recall workflows' search attributes on a server that takes them through the
 * operator API (the time-skipping server; a cluster of the operator's own, if they let us).
 */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      searchAttributeKeys.map((key) => [key.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}
