/**
 * npm run bench:orders -- --orders N --concurrency C [--at-rest M]
 *
 * N datahost orders (every optional component) through the full flow over HTTP: the bench is
 * the agent, the customer, back office and billing. The API and the worker run as separate
 * processes against a dev server (SQLite file in WAL mode, as npm start runs it) and PostgreSQL,
 * so their memory can be read. Then M orders (default 50) one at a time: each route's latency at
 * rest, what a back-office user feels. Then a raw-Temporal baseline with the same number of
 * activities and updates per order, in the same run.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { rssMb, startBenchPlatform } from './processes.js';
import { orderFlow } from './order-flow.js';
import { runPool } from './pool.js';
import { bundleWorkflows } from '../runtime/worker.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '10' },
    /** Orders driven one at a time after the run, for each route's latency at rest. */
    'at-rest': { type: 'string', default: '50' },
  },
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
  const { oneOrder } = await orderFlow(url, adminKey, { latencies });

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
  const underLoad = new Map(latencies);

  // ----- at rest: orders one at a time, what a back-office user feels on a quiet system.
  latencies.clear();
  const atRestOrders = Number(args['at-rest']);
  for (let i = 0; i < atRestOrders; i++) await oneOrder(orders + 100 + i);
  const atRest = new Map(latencies);
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
  for (const [route, xs] of [...underLoad.entries()].sort())
    console.log(`    ${route.padEnd(36)} ${ms(percentile(xs, 50)).padStart(7)} / ${ms(percentile(xs, 99)).padStart(7)}  (${xs.length})`);
  console.log(`  API latency at rest, ${atRestOrders} orders one at a time  (p50 / p99, calls)`);
  for (const [route, xs] of [...atRest.entries()].sort())
    console.log(`    ${route.padEnd(36)} ${ms(percentile(xs, 50)).padStart(7)} / ${ms(percentile(xs, 99)).padStart(7)}  (${xs.length})`);
  console.log(`\nraw Temporal baseline (${mainActivities} activities + ${updates} updates per order, no-op)`);
  console.log(`  throughput            ${baselinePerSecond.toFixed(2)} orders/s (${baseline.seconds.toFixed(1)} s)`);
  console.log(`  completion time       p50 ${ms(percentile(baseline.times, 50))}  p99 ${ms(percentile(baseline.times, 99))}`);
  console.log(`\nratio orquesta/baseline  ${(ordersPerSecond / baselinePerSecond).toFixed(2)}`);

  await platform.stop();
  process.exit(0);
}

await main();
