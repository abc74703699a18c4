/**
 * npm run bench:orders -- --orders N --concurrency C
 *
 * N datahost orders (every optional component) through the full flow over HTTP: the bench is
 * the agent, the customer, back office and billing. The API and the worker run as separate
 * processes against a dev server and PostgreSQL, so their memory can be read. Then a raw-Temporal
 * baseline with the same number of activities and updates per order, in the same run.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { rssMb, startBenchPlatform } from './processes.js';
import { datahost } from '../catalog/datahost.js';
import { bundleWorkflows } from '../runtime/worker.js';

const { values: args } = parseArgs({
  options: { orders: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '10' } },
});
const orders = Number(args.orders);
const concurrency = Number(args.concurrency);

Runtime.install({ logger: new DefaultLogger('WARN') });

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
/** CPU seconds a process has used (user + system), from /proc. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

async function runPool<T>(count: number, workers: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) results.push(await job(next++));
    }),
  );
  return results;
}

async function main() {
  // BENCH_PROFILE=dir writes a V8 CPU profile of the worker there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const platform = await startBenchPlatform({
    purpose: 'bench',
    env: { BILLING_ADAPTER: 'pull', ACTIVATION_ADAPTER: 'simulator', ACTIVATION_SIMULATOR_LATENCY_MS: '20', DATABASE_POOL_SIZE: '20' },
    workerArgs: profile,
  });
  const { server, adminKey, url, api, worker } = platform;

  const latencies = new Map<string, number[]>();
  async function call(key: string, method: string, route: string, path: string, body?: unknown) {
    const started = performance.now();
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json()) as any;
    const list = latencies.get(`${method} ${route}`) ?? [];
    list.push(performance.now() - started);
    latencies.set(`${method} ${route}`, list);
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }
  const keyFor = async (role: string, extra = {}) =>
    (await call(adminKey, 'POST', '/apiKeys', '/api/v1/apiKeys', { role, ...extra })).key as string;
  const agent = await keyFor('agent');
  const billing = await keyFor('billing');
  const backoffice = await keyFor('backoffice', { groups: ['provisioning', 'web-marketing'] });

  const optional = datahost.components.filter((c) => !c.mandatory).map((c) => c.id);
  async function until(key: string, id: string, done: (o: any) => boolean) {
    for (;;) {
      const o = await call(key, 'GET', '/productOrders/:id', `/api/v1/productOrders/${id}`);
      if (done(o)) return o;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function oneOrder(i: number): Promise<number> {
    const started = performance.now();
    const order = await call(agent, 'POST', '/productOrders', '/api/v1/productOrders', {
      customer: { name: `Bench Customer ${i}`, taxId: `BENCH-${process.pid}-${i}` },
      contact: { name: 'Bench Contact', email: `bench${i}@example.com` },
      items: [{ offeringId: 'datahost', components: optional, configuration: { domainName: `bench${i}.example` } }],
    });
    const id = order.id as string;
    let o = await until(agent, id, (o) => o.milestones.acceptance1.status === 'inProgress' && o.openTasks.length === 2);
    const tasks = o.openTasks.map((t: { id: string }) => t.id) as string[];
    await call(agent, 'POST', '/productOrders/:id/acceptance', `/api/v1/productOrders/${id}/acceptance`, {
      phase: 1,
      decision: 'accepted',
    });
    o = await until(agent, id, (o) => o.readyForBilling.length === 1);
    await call(billing, 'POST', '/billing/acknowledgements', '/api/v1/billing/acknowledgements', {
      rfbId: o.readyForBilling[0].id,
      status: 'accepted',
    });
    for (const task of tasks) {
      await call(backoffice, 'POST', '/tasks/:id/start', `/api/v1/tasks/${encodeURIComponent(task)}/start`, {});
      await call(backoffice, 'POST', '/tasks/:id/complete', `/api/v1/tasks/${encodeURIComponent(task)}/complete`, {
        outcome: { done: true },
      });
    }
    await until(agent, id, (o) => o.milestones.acceptance2.status === 'inProgress');
    await call(agent, 'POST', '/productOrders/:id/acceptance', `/api/v1/productOrders/${id}/acceptance`, {
      phase: 2,
      decision: 'accepted',
    });
    o = await until(agent, id, (o) => o.readyForBilling.length === 2);
    await call(billing, 'POST', '/billing/acknowledgements', '/api/v1/billing/acknowledgements', {
      rfbId: o.readyForBilling[1].id,
      status: 'accepted',
    });
    await until(agent, id, (o) => o.state === 'completed');
    return performance.now() - started;
  }

  // A short warm-up so that bundling and connection set-up are not counted.
  await runPool(Math.min(concurrency, 5), concurrency, oneOrder);
  latencies.clear();
  const processes = { api: api.pid!, worker: worker.pid!, 'temporal server': server.pid, 'bench (clients)': process.pid };
  const cpuBefore = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const t0 = performance.now();
  const times = await runPool(orders, concurrency, oneOrder);
  const seconds = (performance.now() - t0) / 1000;
  const cpuUsed = Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid) - cpuBefore[name]!] as const);
  const ordersPerSecond = orders / seconds;
  const apiPeak = rssMb(api.pid!);
  const workerPeak = rssMb(worker.pid!);
  await platform.stopProcesses();

  // ----- baseline: the same counts of activities and updates, doing nothing, through Temporal alone.
  const mainActivities = 14;
  const updates = 9;
  const taskQueue = `baseline-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const baselineWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url))),
    activities: { async noop() {} },
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const baseline = await baselineWorker.runUntil(async () => {
    const oneBaseline = async () => {
      const workflowId = `baseline-${randomUUID()}`;
      const started = performance.now();
      await client.workflow.executeUpdateWithStart('step', {
        args: [0],
        startWorkflowOperation: new WithStartWorkflowOperation('baselineOrder', {
          workflowId,
          taskQueue,
          args: [mainActivities, updates],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      const handle = client.workflow.getHandle(workflowId);
      for (let u = 1; u < updates; u++) await handle.executeUpdate('step', { args: [u] });
      await handle.result();
      return performance.now() - started;
    };
    await runPool(Math.min(concurrency, 5), concurrency, oneBaseline);
    const b0 = performance.now();
    const baselineTimes = await runPool(orders, concurrency, oneBaseline);
    return { seconds: (performance.now() - b0) / 1000, times: baselineTimes };
  });
  await nativeConnection.close();
  const baselinePerSecond = orders / baseline.seconds;

  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`\nOrquesta order benchmark: ${orders} datahost orders (all 8 optional components), concurrency ${concurrency}`);
  console.log(
    `machine: ${(await import('node:os')).cpus().length} cores, ${(await import('node:os')).cpus()[0]?.model}, node ${process.version}`,
  );
  console.log(`\nend to end via the API`);
  console.log(`  throughput            ${ordersPerSecond.toFixed(2)} orders/s (${seconds.toFixed(1)} s)`);
  console.log(
    `  completion time       p50 ${ms(percentile(times, 50))}  p95 ${ms(percentile(times, 95))}  p99 ${ms(percentile(times, 99))}`,
  );
  console.log(`  peak memory (RSS)     api ${apiPeak.toFixed(0)} MB, worker ${workerPeak.toFixed(0)} MB`);
  console.log(
    `  CPU used in the run    ${cpuUsed.map(([name, cpu]) => `${name} ${cpu.toFixed(1)} s`).join(', ')} (of ${(2 * seconds).toFixed(1)} core-seconds; PostgreSQL the rest)`,
  );
  console.log(`  API latency by route  (p50 / p99, calls)`);
  for (const [route, xs] of [...latencies.entries()].sort())
    console.log(`    ${route.padEnd(36)} ${ms(percentile(xs, 50)).padStart(7)} / ${ms(percentile(xs, 99)).padStart(7)}  (${xs.length})`);
  console.log(`\nraw Temporal baseline (${mainActivities} activities + ${updates} updates per order, no-op)`);
  console.log(`  throughput            ${baselinePerSecond.toFixed(2)} orders/s (${baseline.seconds.toFixed(1)} s)`);
  console.log(`  completion time       p50 ${ms(percentile(baseline.times, 50))}  p99 ${ms(percentile(baseline.times, 99))}`);
  console.log(`\nratio orquesta/baseline  ${(ordersPerSecond / baselinePerSecond).toFixed(2)}`);

  await platform.stop();
  process.exit(0);
}

await main();
