/**
 * `npm start` as a developer runs it: the real launcher process, its own Temporal dev server and
 * the embedded PGlite database (no DATABASE_URL), stopped with Ctrl-C and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/temporal-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'orquesta-start-'));
const launched: ChildProcess[] = [];

afterAll(() => {
  for (const child of launched) if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function ports() {
  return { api: await freePort(), temporal: await freePort(), ui: await freePort(), metrics: await freePort() };
}

function launch(env: Record<string, string>) {
  const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _t, ...inherited } = process.env;
  // Its own process group, like a terminal's foreground job, so Ctrl-C is sent to the group.
  const child = spawn(process.execPath, ['--import', 'tsx', 'orquesta.ts', 'all'], {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env },
    detached: true,
  });
  launched.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not started in time:\n${stdout}\n${stderr}`)), 90_000);
    child.stdout!.on('data', () => stdout.includes('Ctrl-C stops everything') && (clearTimeout(timer), resolve(stdout)));
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return { child, started, exited, output: () => stdout + stderr };
}

const keysFrom = (banner: string) => Object.fromEntries([...banner.matchAll(/^ {2}(\w+) +(orq_\S+)$/gm)].map((m) => [m[1]!, m[2]!]));

/** Pids of every process whose command line names our data directory: the dev server. */
function serverPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dataDir}/temporal.db`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('npm start', () => {
  it('runs the whole platform on PGlite, stops cleanly on Ctrl-C, and keeps its data across a restart', async () => {
    const p1 = await ports();
    const env1 = {
      BILLING_SIMULATOR_ACK_DELAY_MS: '100',
      ACTIVATION_SIMULATOR_LATENCY_MS: '5',
      DATA_DIR: dataDir,
      PORT: String(p1.api),
      TEMPORAL_DEV_PORT: String(p1.temporal),
      TEMPORAL_UI_PORT: String(p1.ui),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${p1.metrics}`,
    };
    const first = launch(env1);
    const banner = await first.started;
    const api = `http://127.0.0.1:${p1.api}`;
    expect(banner).toContain(`API            ${api}/api/v1`);
    expect(banner).toContain(`OpenAPI docs   ${api}/docs`);
    expect(banner).toContain(`web UI: http://127.0.0.1:${p1.ui}`);
    expect(banner).toContain('Database       pglite');
    const keys = keysFrom(banner);
    expect(Object.keys(keys).sort()).toEqual(['admin', 'agent', 'backoffice', 'billing', 'customer', 'support']);

    expect(await (await fetch(`${api}/ready`)).json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
    expect((await fetch(`${api}/docs/json`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${p1.ui}/`)).status).toBe(200);
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toContain('orquesta_http_request_duration_seconds');
    expect(metrics).toMatch(/^temporal_\w+/m); // the worker's SDK runtime metrics, appended

    const created = await fetch(`${api}/api/v1/apiKeys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'support', label: 'kept across restarts' }),
    });
    expect(created.status).toBe(201);
    const keptKey = ((await created.json()) as { key: string }).key;

    // An order on the simulators: activation simulated, billing acknowledged by the simulator through the API.
    const headers = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    const placed = await fetch(`${api}/api/v1/productOrders`, {
      method: 'POST',
      headers: headers(keys.customer!),
      body: JSON.stringify({
        customer: { id: 'CUST-DEV-0001' },
        contact: { name: 'Dev Contact', email: 'dev@example.com' },
        // One phase-2 option, so both phases run (an order with nothing for phase 2 ends after RFB 1).
        items: [{ offeringId: 'datahost', components: ['datahost.ssl'] }],
      }),
    });
    expect(placed.status).toBe(201);
    const orderId = ((await placed.json()) as { id: string }).id;
    const order = async () =>
      (await (await fetch(`${api}/api/v1/productOrders/${orderId}`, { headers: headers(keys.agent!) })).json()) as any;
    const until = async (done: (o: any) => boolean) => {
      for (let i = 0; i < 300; i++) {
        const o = await order();
        if (done(o)) return o;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`order never got there: ${JSON.stringify(await order())}`);
    };
    for (const phase of [1, 2]) {
      await until((o) => o.milestones[`acceptance${phase}`].status === 'inProgress');
      const accepted = await fetch(`${api}/api/v1/productOrders/${orderId}/acceptance`, {
        method: 'POST',
        headers: headers(keys.customer!),
        body: JSON.stringify({ phase, decision: 'accepted' }),
      });
      expect(accepted.status).toBe(200);
    }
    const completed = await until((o) => o.state === 'completed');
    expect(completed.readyForBilling.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
    expect(completed.billing.billingAccountId).toBe('BA-CUST-DEV-0001');
    // What the simulated external systems hold, as support reads it.
    const held = async (system: string) =>
      (await (await fetch(`${api}/api/v1/simulators/${system}?orderId=${orderId}`, { headers: headers(keys.support!) })).json()) as any[];
    const components = await held('activation');
    expect(components.length).toBeGreaterThan(0);
    expect(components.every((c) => c.state === 'active')).toBe(true);
    // The simulator marks a cycle running once it has the API's answer, which may come after the order completed.
    let billed = await held('billing');
    for (let i = 0; i < 100 && billed.some((r) => r.cycle !== 'running'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      billed = await held('billing');
    }
    expect(billed.map((r) => [r.phase, r.state, r.cycle])).toEqual([
      [1, 'acknowledged', 'running'],
      [2, 'acknowledged', 'running'],
    ]);

    const connection = await Connection.connect({ address: `127.0.0.1:${p1.temporal}` });
    await new Client({ connection }).workflow.start('parkedWorkflow', {
      workflowId: 'kept-across-restarts',
      taskQueue: 'nobody-polls-this',
    });
    await connection.close();

    const pids = serverPids();
    expect(pids.length).toBeGreaterThan(0);
    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(serverPids()).toEqual([]);

    const p2 = await ports();
    const second = launch({
      ...env1,
      PORT: String(p2.api),
      TEMPORAL_DEV_PORT: String(p2.temporal),
      TEMPORAL_UI_PORT: String(p2.ui),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${p2.metrics}`,
    });
    await second.started;
    const api2 = `http://127.0.0.1:${p2.api}`;
    const asKept = await fetch(`${api2}/api/v1/workflows/kept-across-restarts`, { headers: { authorization: `Bearer ${keptKey}` } });
    expect(asKept.status).toBe(200);
    expect(await asKept.json()).toMatchObject({ type: 'parkedWorkflow', status: 'running' });
    // The previous start's development keys were replaced by new ones.
    expect((await fetch(`${api2}/api/v1/workflows`, { headers: { authorization: `Bearer ${keys.support}` } })).status).toBe(401);

    process.kill(second.child.pid!, 'SIGTERM');
    expect(await second.exited).toBe(0);
    expect(serverPids()).toEqual([]);
  }, 240_000);

  it('refuses a bad setting at once, naming it', async () => {
    const bad = launch({ DATA_DIR: dataDir, PORT: 'three thousand' });
    await expect(bad.started).rejects.toThrow(/exited with 2[\s\S]*PORT/);
  });
});
