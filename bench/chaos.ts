/**
 * npm run chaos -- --orders N [--seed S] [--concurrency C] [--faults worker,temporal,api,...]
 *                  [--restart-postgres] [--timeout-seconds T]
 *
 * N datahost orders through the whole flow over the API while the worker, the Temporal dev server
 * and the API are SIGKILLed at random moments (seeded) and started again; with --restart-postgres
 * also a PostgreSQL restart (of a server of the run's own). Prints the faults with their recovery
 * times, the answers by route, the checks, then one JSON line; exits 1 when a check fails.
 * `npm run chaos` builds first and runs the worker and API compiled, as the image does: under tsx
 * a restarted worker spent a second or two more transpiling before it polled.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { faultableParts, runChaos, type ChaosReport, type Part } from './chaos-run.js';

const usage = 'usage: npm run chaos -- --orders N [--seed S] [--concurrency C] [--faults worker,temporal,api] [--restart-postgres]';

function options() {
  const { values: args } = parseArgs({
    options: {
      orders: { type: 'string', default: '40' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      /** The parts to kill, one kill per entry (repeat a part to kill it more often). */
      faults: { type: 'string', default: 'worker,temporal,api,worker,temporal,api' },
      'restart-postgres': { type: 'boolean', default: false },
      'timeout-seconds': { type: 'string', default: '1800' },
      /** No order moved for this long: the run stops driving and reports what is stuck. */
      'stall-seconds': { type: 'string', default: '120' },
    },
  });
  const whole = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number of at least ${min} (got '${value}')\n${usage}`);
    return n;
  };
  const orders = whole('orders', args.orders, 1);
  const faults = args.faults.split(',').filter(Boolean) as Part[];
  const unknown = faults.filter((f) => !faultableParts.includes(f) || f === 'postgres');
  if (unknown.length)
    throw new Error(`--faults names worker, temporal and api (PostgreSQL: --restart-postgres), not ${unknown.join(', ')}\n${usage}`);
  // Twice, like the other parts by default: once early and once late in the run, as drawn.
  if (args['restart-postgres']) faults.push('postgres', 'postgres');
  return {
    orders,
    concurrency: whole('concurrency', args.concurrency ?? String(Math.min(orders, 10)), 1),
    seed: args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : whole('seed', args.seed, 0),
    faults,
    timeoutMs: whole('timeout-seconds', args['timeout-seconds'], 1) * 1000,
    stallMs: whole('stall-seconds', args['stall-seconds'], 1) * 1000,
  };
}

const s = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(1)} s`);
const tenths = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 10) / 10);

function print(r: ChaosReport) {
  const out = (line = '') => process.stdout.write(line + '\n');
  out(`\nChaos run: ${r.orders} orders, concurrency ${r.concurrency}, seed ${r.seed}: ${r.completed} completed in ${s(r.seconds)}`);
  out(`machine: ${cpus().length} cores, ${cpus()[0]?.model}, node ${process.version}`);
  const p = (q: number) => r.completionSeconds[Math.min(r.completionSeconds.length - 1, Math.ceil(q * r.completionSeconds.length) - 1)];
  out(`order completion: p50 ${s(p(0.5))}, max ${s(r.completionSeconds.at(-1))}`);
  out(`\nfaults (times from the kill)`);
  out(`  #  part      killed at  after step  back      first progress  in flight  all of them done  faults meanwhile`);
  r.faults.forEach((f, i) =>
    out(
      `  ${String(i + 1).padEnd(2)} ${f.part.padEnd(9)} ${s(f.killedAt).padStart(9)}  ${String(f.afterSteps).padStart(10)}  ${s(f.backAfter).padStart(8)}  ${s(f.firstProgressAfter).padStart(14)}  ${String(f.inFlight ?? '-').padStart(9)}  ${s(f.inFlightDoneAfter).padStart(16)}  ${f.overlappedBy?.join(', ') || '-'}`,
    ),
  );
  const outcomes = [...new Set(Object.values(r.answers).flatMap((byOutcome) => Object.keys(byOutcome)))].sort();
  out(`\nanswers by route, as the client saw them`);
  out(`  ${'route'.padEnd(38)} ${outcomes.map((x) => x.padStart(13)).join(' ')}`);
  for (const [route, byOutcome] of Object.entries(r.answers))
    out(`  ${route.padEnd(38)} ${outcomes.map((x) => String(byOutcome[x] ?? '').padStart(13)).join(' ')}`);
  out(`\nchecks`);
  for (const c of r.checks) out(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
  out();
  out(
    JSON.stringify({
      seed: r.seed,
      orders: r.orders,
      concurrency: r.concurrency,
      completed: r.completed,
      seconds: tenths(r.seconds),
      faults: r.faults.map((f) => ({
        part: f.part,
        killedAt: tenths(f.killedAt),
        backAfter: tenths(f.backAfter),
        firstProgressAfter: tenths(f.firstProgressAfter),
        inFlight: f.inFlight,
        inFlightDoneAfter: tenths(f.inFlightDoneAfter),
        overlappedBy: f.overlappedBy,
      })),
      serverErrors: Object.fromEntries(
        Object.entries(r.answers).flatMap(([route, byOutcome]) =>
          Object.entries(byOutcome)
            .filter(([status]) => status.startsWith('5'))
            .map(([status, n]) => [`${route} ${status}`, n]),
        ),
      ),
      lostConnections: Object.values(r.answers).reduce((sum, byOutcome) => sum + (byOutcome['no connection'] ?? 0), 0),
      checks: Object.fromEntries(r.checks.map((c) => [c.name, c.ok])),
      ok: r.ok,
    }),
  );
}

let o: ReturnType<typeof options>;
try {
  o = options();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const logDir = mkdtempSync(join(tmpdir(), 'orquesta-chaos-'));
console.error(`chaos: seed ${o.seed}, ${o.orders} orders, faults ${o.faults.join(', ')}; process logs in ${logDir}`);
// Ctrl-C stops the driving; the run still checks what it has, and stops every process it started.
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort());
let report: ChaosReport;
try {
  report = await runChaos({ ...o, logDir, signal: interrupted.signal, log: (line) => console.error(`chaos: ${line}`) });
} catch (err) {
  console.error(`chaos: ${(err as Error).message}`);
  process.exit(2);
}
print(report);
process.exit(report.ok ? 0 : 1);
