/**
 * npm run bench:load -- [--orders N] [--duration S] [--connections 50,200]
 *
 * The API under load from autocannon, on the platform every bench runs on (bench/processes.ts: the
 * API and the worker as processes of their own, a dev server, PostgreSQL). First N datahost orders
 * are entered and provisioned up to the customer's acceptance, each leaving two manual tasks open.
 * Then each scenario runs for S seconds at each connection count: reading an order, the back
 * office's inbox, a workflow's inspection (Temporal's describe and the `state` query), and
 * completing tasks. Each completion request completes an open task no request has touched: a
 * real completion every time, none repeated; a run that uses up its share of the tasks ends early
 * and says so. Prints per scenario p50/p99 latency, requests/s and the non-2xx answers split 4xx
 * and 5xx (and for the inspection, its 200s that came without the workflow's state: the query
 * missed its 3 s deadline), then the tasks the server completed, then one JSON line per scenario.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { orderFlow } from './order-flow.js';
import { runPool } from './pool.js';
import { startBenchPlatform } from './processes.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '1500' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50,200' },
  },
});
const orders = Number(args.orders);
const duration = Number(args.duration);
const connectionCounts = args.connections.split(',').map(Number);
if (![orders, duration, ...connectionCounts].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--orders, --duration and --connections take positive whole numbers');
// Each completion run needs a task for every connection, and a run's requests in flight when it
// ends take tasks too: two orders (four tasks) a connection leave room for both.
if (orders < 2 * connectionCounts.reduce((a, b) => a + b, 0))
  throw new Error('too few --orders for the completion runs: two per connection');

interface Scenario {
  name: string;
  key: string;
  method: 'GET' | 'POST';
  /** The path of the n-th request. */
  path(n: number): string;
  body?: string;
  /** How many requests the scenario has in all, across its runs (the open tasks); unbounded when unset. */
  supply?: number;
  /** A 200 that lacks part of what it should say, and what it lacks. */
  partial?: { lacks: string; is(body: string): boolean };
}

interface Run {
  scenario: string;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  '4xx': number;
  '5xx': number;
  errors: number;
  timeouts: number;
  /** The run used up its share of the tasks before its duration. */
  ranOut: boolean;
  /** 200s without part of their content (`Scenario.partial`). */
  partial?: { lacks: string; count: number };
}

/** `cursor.next` numbers the scenario's requests across its runs: the n-th request of a scenario is its n-th task. */
async function run(url: string, s: Scenario, connections: number, cursor: { next: number }, most: number | undefined): Promise<Run> {
  const failures = new Map<string, number>();
  let partial = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    // Each connection stops after its part of the supply: no task is completed twice.
    ...(most !== undefined ? { maxOverallRequests: most } : {}),
    requests: [
      {
        method: s.method,
        headers: { authorization: `Bearer ${s.key}`, ...(s.body ? { 'content-type': 'application/json' } : {}) },
        body: s.body,
        setupRequest: (request) => ({ ...request, path: s.path(cursor.next++) }),
        onResponse: (status, body) => {
          if (status >= 500) failures.set(`${status} ${body.slice(0, 300)}`, (failures.get(`${status} ${body.slice(0, 300)}`) ?? 0) + 1);
          if (status === 200 && s.partial?.is(body)) partial++;
        },
      },
    ],
  });
  for (const [failure, count] of failures) console.log(`    ${count} x ${failure}`);
  const requests = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    scenario: s.name,
    connections,
    seconds: result.duration,
    requests,
    requestsPerSec: Math.round(requests / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    '4xx': result['4xx'],
    '5xx': result['5xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    ranOut: most !== undefined && requests >= most,
    ...(s.partial ? { partial: { lacks: s.partial.lacks, count: partial } } : {}),
  };
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const line = (r: Run) =>
  `${r.scenario.padEnd(28)} ${String(r.connections).padStart(5)} ${String(r.requestsPerSec).padStart(7)} ${ms(r.p50Ms).padStart(8)} ${ms(r.p99Ms).padStart(8)} ${String(r['4xx']).padStart(6)} ${String(r['5xx']).padStart(6)} ${String(r.errors).padStart(6)}${r.ranOut ? `  (its ${r.requests} tasks done in ${r.seconds} s)` : ''}${r.partial ? `  (${r.partial.count} 200s without ${r.partial.lacks})` : ''}`;

/** Prepares the orders and runs every scenario against the API at `url`. */
async function measure(url: string, adminKey: string) {
  const { enterOrder, keyFor, keys } = await orderFlow(url, adminKey);
  const support = await keyFor('support');

  const prepared = performance.now();
  const entered = await runPool(orders, 20, enterOrder);
  const ids = entered.map((o) => o.id);
  const tasks = entered.flatMap((o) => o.tasks);
  console.log(`prepared ${ids.length} orders with ${tasks.length} open tasks in ${((performance.now() - prepared) / 1000).toFixed(0)} s`);

  const scenarios: Scenario[] = [
    { name: 'GET /productOrders/{id}', key: keys.agent, method: 'GET', path: (n) => `/api/v1/productOrders/${ids[n % ids.length]}` },
    { name: 'GET /tasks?status=opened', key: keys.backoffice, method: 'GET', path: () => '/api/v1/tasks?status=opened&limit=20' },
    {
      name: 'GET /workflows/{id}',
      key: support,
      method: 'GET',
      path: (n) => `/api/v1/workflows/order-${ids[n % ids.length]}`,
      // The inspection answers without the workflow's state when its query misses its deadline (3 s).
      partial: { lacks: 'the state query', is: (body) => (JSON.parse(body) as { stateError: string | null }).stateError !== null },
    },
    {
      name: 'POST /tasks/{id}/complete',
      key: keys.backoffice,
      method: 'POST',
      path: (n) => `/api/v1/tasks/${encodeURIComponent(tasks[n]!)}/complete`,
      body: JSON.stringify({ outcome: { done: true } }),
      supply: tasks.length,
    },
  ];

  const runs: Run[] = [];
  for (const s of scenarios) {
    const cursor = { next: 0 };
    for (const [i, connections] of connectionCounts.entries()) {
      // A bounded supply is shared out evenly between the scenario's runs.
      const most = s.supply === undefined ? undefined : Math.floor((s.supply - cursor.next) / (connectionCounts.length - i));
      // autocannon would run a connection with no share of the supply without limit.
      if (most !== undefined && most < connections) throw new Error(`${s.name}: ${most} tasks left for ${connections} connections`);
      runs.push(await run(url, s, connections, cursor, most));
      console.log(line(runs.at(-1)!));
    }
  }

  // A completion the bench gave up on (autocannon's 10 s timeout), or still in flight when a run
  // ended, may have been done all the same: the inbox tells, once its count stops moving.
  const completedTasks = async () =>
    Number(
      (
        await fetch(`${url}/api/v1/tasks?status=completed&limit=1`, { headers: { authorization: `Bearer ${keys.backoffice}` } })
      ).headers.get('x-total-count'),
    );
  let completed = await completedTasks();
  for (let before = -1; completed !== before; completed = await completedTasks()) {
    before = completed;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const completions = runs.filter((r) => r.scenario.startsWith('POST /tasks'));
  const answered = completions.reduce((sum, r) => sum + r.requests - r['4xx'] - r['5xx'], 0);
  const gaveUp = completions.reduce((sum, r) => sum + r.timeouts, 0);
  return { ids, tasks, runs, completed, answered, gaveUp };
}

async function main() {
  const platform = await startBenchPlatform({
    purpose: 'bench_load',
    env: { BILLING_ADAPTER: 'pull', ACTIVATION_ADAPTER: 'simulator', ACTIVATION_SIMULATOR_LATENCY_MS: '20', DATABASE_POOL_SIZE: '20' },
  });
  // A failed run must not leave the dev server and the scratch database behind.
  const { ids, tasks, runs, completed, answered, gaveUp } = await measure(platform.url, platform.adminKey).finally(() => platform.stop());

  console.log(`\nOrquesta API under load (autocannon), ${duration} s per run; ${ids.length} orders, ${tasks.length} open tasks`);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model}, node ${process.version}\n`);
  console.log(
    `${'scenario'.padEnd(28)} ${'conns'.padStart(5)} ${'req/s'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'4xx'.padStart(6)} ${'5xx'.padStart(6)} ${'errors'.padStart(6)}`,
  );
  for (const r of runs) console.log(line(r));
  console.log(
    `\ntasks completed: ${completed}; answered 200: ${answered}; given up on by the bench after 10 s: ${gaveUp}; the rest were in flight when a run ended`,
  );
  console.log('');
  for (const r of runs) console.log(JSON.stringify(r));
  process.exit(0);
}

await main();
