/**
 * npm run bench:peers -- --orders N --concurrency C
 *
 * One order shape on three engines, in one run, against one PostgreSQL and one dev server (a
 * SQLite file in WAL mode, as `npm start` runs it): raw Temporal (one activity per step, an update
 * per event) and DBOS Transact (a step per step, a message per event), each in a process of its
 * own; then Orquesta's whole order flow through its API, which does more per order (customer and
 * contact, pricing, plan, inbox tasks, RFBs, audit) on the same shape of 20 writes and 6 events.
 * Prints one table, then one JSON line per engine.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { orderFlow } from '../order-flow.js';
import { rssMb, startBenchPlatform } from '../processes.js';
import { percentile, timedPool, type EngineResult } from './measure.js';

const { values: args } = parseArgs({
  options: { orders: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '10' } },
});
const orders = Number(args.orders);
const concurrency = Number(args.concurrency);
const here = fileURLToPath(new URL('.', import.meta.url));
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** Runs one engine's script in a process of its own and reads its result line. */
function engine(script: string, argv: string[]): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${here}${script}`, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as EngineResult);
      else reject(new Error(`${script} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

async function main() {
  const platform = await startBenchPlatform({
    purpose: 'bench_peers',
    env: { BILLING_ADAPTER: 'pull', ACTIVATION_ADAPTER: 'simulator', ACTIVATION_SIMULATOR_LATENCY_MS: '20', DATABASE_POOL_SIZE: '20' },
  });
  const serverCpu: Record<string, number> = {};
  const results: EngineResult[] = [];

  // Orquesta's whole flow over HTTP.
  const latencies = new Map<string, number[]>();
  const { oneOrder } = await orderFlow(platform.url, platform.adminKey, latencies);
  await timedPool(Math.min(5, orders), concurrency, (i) => oneOrder(orders + i).then(() => undefined)); // warm-up
  const pids = { api: platform.api.pid!, worker: platform.worker.pid! };
  const before = { api: cpuSeconds(pids.api), worker: cpuSeconds(pids.worker), server: cpuSeconds(platform.server.pid) };
  const run = await timedPool(orders, concurrency, (i) => oneOrder(i).then(() => undefined));
  serverCpu.orquesta = cpuSeconds(platform.server.pid) - before.server;
  results.push({
    engine: 'orquesta',
    orders,
    seconds: run.seconds,
    times: run.times,
    processes: {
      api: { peakRssMb: rssMb(pids.api), cpuSeconds: cpuSeconds(pids.api) - before.api },
      worker: { peakRssMb: rssMb(pids.worker), cpuSeconds: cpuSeconds(pids.worker) - before.worker },
    },
  });
  await platform.stopProcesses();

  for (const [name, script, argv] of [
    ['temporal', 'temporal.ts', [platform.server.address, platform.scratchDb.url, String(orders), String(concurrency)]],
    ['dbos', 'dbos.ts', [platform.scratchDb.url, String(orders), String(concurrency)]],
  ] as const) {
    const t0 = cpuSeconds(platform.server.pid);
    results.push(await engine(script, [...argv]));
    serverCpu[name] = cpuSeconds(platform.server.pid) - t0;
  }
  await platform.stop();

  const orquesta = results[0]!;
  const rate = (r: EngineResult) => r.orders / r.seconds;
  const ms = (x: number) => `${Math.round(x)} ms`;
  console.log(`\n${orders} orders at concurrency ${concurrency}; ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
  console.log('engine     orders/s  p50       p95       p99       ratio to orquesta  processes (peak RSS, CPU s in the run)');
  for (const r of results) {
    const processes = Object.entries(r.processes)
      .map(([p, f]) => `${p} ${Math.round(f.peakRssMb)} MB ${f.cpuSeconds.toFixed(1)} s`)
      .concat(r.engine === 'dbos' ? [] : [`temporal server ${serverCpu[r.engine]!.toFixed(1)} s`])
      .join('; ');
    console.log(
      `${r.engine.padEnd(10)} ${rate(r).toFixed(2).padStart(8)}  ${ms(percentile(r.times, 50)).padEnd(9)} ${ms(percentile(r.times, 95)).padEnd(9)} ${ms(percentile(r.times, 99)).padEnd(9)} ${(rate(r) / rate(orquesta)).toFixed(2).padStart(6)}             ${processes}`,
    );
  }
  for (const r of results)
    console.log(
      JSON.stringify({
        engine: r.engine,
        ordersPerSec: Math.round(rate(r) * 100) / 100,
        p50Ms: Math.round(percentile(r.times, 50)),
        p99Ms: Math.round(percentile(r.times, 99)),
        peakRssMb: Math.round(Object.values(r.processes).reduce((sum, p) => sum + p.peakRssMb, 0)),
      }),
    );
  process.exit(0);
}

await main();
