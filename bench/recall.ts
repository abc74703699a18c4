/**
 * npm run bench:recall -- --parties N
 *
 * Seeds N customers, each holding an active instance of datahost's web space (bulk, inside the
 * database), then runs one recall of them over HTTP as product safety would: initiation, the
 * hazard assessment (class I), and the notification phase to its end (status monitoring). The
 * API and the worker run as separate processes against a dev server and PostgreSQL, so their
 * memory can be read; the notification system is the built-in simulator (20 ms per call of 500).
 * Prints the time taken, notices per second, each run's history length, the worker's peak RSS
 * and the database's row counts, then one JSON line for scripts.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.js';
import { seedParties } from '../db/seed/parties.js';
import { rssMb, startBenchPlatform } from './processes.js';
import { recallWorkflowId } from '../workflows/recall.contract.js';
import { historyLengths } from '../test/support/recalls.js';

const { values: args } = parseArgs({ options: { parties: { type: 'string', default: '10000' } } });
const parties = Number(args.parties);
if (!Number.isInteger(parties) || parties < 1) throw new Error('--parties takes a positive whole number');
/** The highest RSS a process reaches while `during` runs, sampled every 100 ms. */
async function sampledPeakMb<T>(pid: number, during: Promise<T>): Promise<[T, number]> {
  let peak = rssMb(pid, 'VmRSS');
  const sampling = setInterval(() => (peak = Math.max(peak, rssMb(pid, 'VmRSS'))), 100);
  try {
    return [await during, peak];
  } finally {
    clearInterval(sampling);
  }
}

async function main() {
  const platform = await startBenchPlatform({
    purpose: 'bench_recall',
    env: {
      NOTIFICATION_ADAPTER: 'simulator',
      NOTIFICATION_SIMULATOR_LATENCY_MS: '20',
      REGULATOR_ADAPTER: 'simulator',
      // The initiation writes every party in one statement: give the entry time to answer 201.
      ORDER_ENTRY_ANSWER_WITHIN_SECONDS: '60',
    },
    workerArgs: process.env.BENCH_WORKER_HEAP_MB ? [`--max-old-space-size=${process.env.BENCH_WORKER_HEAP_MB}`] : [],
  });
  const { server, scratchDb, adminKey, url, worker, api } = platform;
  // Seeded while the worker starts: the parties are there before any recall looks for them.
  const database = await openDatabase({ url: scratchDb.url, poolSize: 2, dataDir: '.data' });
  const seedStarted = performance.now();
  await seedParties(database.db, {
    prefix: 'BENCH',
    count: parties,
    productId: 'datahost',
    componentId: 'datahost.web-space',
    activatedAt: new Date('2026-06-01T12:00:00Z'),
    withoutContactEvery: 20,
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json()) as any;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const until = async (id: string, done: (r: any) => boolean) => {
    for (;;) {
      const r = await call('GET', `/api/v1/recalls/${id}`);
      if (done(r)) return r;
      await new Promise((ok) => setTimeout(ok, 200));
    }
  };

  // The worker bundles its workflows as it starts: wait until it polls, so the recall's figures are the recall's own.
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  for (let i = 0; ; i++) {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'recalls' },
      taskQueueType: 1,
    });
    if ((pollers ?? []).length > 0) break;
    if (i > 1200) throw new Error('the worker never polled the recalls queue');
    await new Promise((r) => setTimeout(r, 100));
  }
  const workerAtRestMb = rssMb(worker.pid!, 'VmRSS');
  const started = performance.now();
  const run = async () => {
    const created = await call('POST', '/api/v1/recalls', {
      productId: 'datahost',
      componentId: 'datahost.web-space',
      reason: 'Benchmark: storage firmware 4.2',
      hazard: 'Data loss',
      scope: { activatedFrom: '2026-06-01', activatedTo: '2026-06-01' },
    });
    const id = created.id as string;
    const initiatedSeconds = (performance.now() - started) / 1000;
    const assessing = await until(id, (r) => r.openTasks.length === 1);
    const assessedAt = performance.now();
    await call('POST', `/api/v1/tasks/${encodeURIComponent(assessing.openTasks[0].id)}/complete`, {
      outcome: { likelihood: 'likely', consequence: 'serious', class: 'I' },
    });
    const done = await until(id, (r) => r.status === 'monitoring');
    return { id, done, initiatedSeconds, assessedAt };
  };
  const [{ id, done, initiatedSeconds, assessedAt }, workerRecallPeakMb] = await sampledPeakMb(worker.pid!, run());
  const finished = performance.now();
  const seconds = (finished - started) / 1000;
  const notifySeconds = (finished - assessedAt) / 1000;

  const workerRssMb = rssMb(worker.pid!, 'VmHWM');
  const apiRssMb = rssMb(api.pid!, 'VmHWM');
  const firstRun = (await client.workflow.getHandle(recallWorkflowId(id)).describe()).raw.workflowExecutionInfo?.firstRunId;
  const runs = await historyLengths(
    client,
    recallWorkflowId(id),
    firstRun ?? (await client.workflow.getHandle(recallWorkflowId(id)).describe()).runId,
  );
  const [rows] = (await database.db.execute(
    sql`select (select count(*) from recall_parties where recall_id = ${id})::int as parties,
               (select count(*) from recall_notices where recall_id = ${id})::int as notices,
               (select count(*) from recall_notices where recall_id = ${id} and sent_at is not null)::int as sent,
               (select count(distinct customer_id) from recall_notices where recall_id = ${id})::int as "noticedParties"`,
  )) as unknown as { parties: number; notices: number; sent: number; noticedParties: number }[];

  await connection.close();
  await database.close();
  await platform.stop();

  const noticesPerSec = Math.round(rows!.sent / notifySeconds);
  const maxHistoryEvents = Math.max(...runs);
  console.log(`recall of ${parties} parties (${new Date().toISOString().slice(0, 10)}, ${process.platform}, node ${process.version})`);
  console.log(`  seeding (customers, contacts, orders, instances)   ${seedSeconds.toFixed(1)} s`);
  console.log(`  initiation answered (parties found and written)     ${initiatedSeconds.toFixed(1)} s`);
  console.log(`  notification phase (assessment to monitoring)       ${notifySeconds.toFixed(1)} s, ${noticesPerSec} notices/s`);
  console.log(`  total, POST /recalls to the last notice             ${seconds.toFixed(1)} s`);
  console.log(`  history events per run                              ${runs.join(', ')} (${runs.length} run(s))`);
  console.log(`  peak RSS                                            worker ${workerRssMb.toFixed(0)} MB, API ${apiRssMb.toFixed(0)} MB`);
  console.log(
    `  worker RSS                                          ${workerAtRestMb.toFixed(0)} MB at rest before the recall, at most ${workerRecallPeakMb.toFixed(0)} MB during it (the process's peak includes bundling the workflows, when the worker found no bundle cached)`,
  );
  console.log(
    `  rows                                                ${rows!.parties} parties, ${rows!.notices} notices (${rows!.sent} sent) for ${rows!.noticedParties} distinct parties`,
  );
  console.log(`  counts as the API shows them                        ${JSON.stringify(done.counts)}`);
  console.log(
    JSON.stringify({
      parties,
      seconds: Math.round(seconds * 10) / 10,
      noticesPerSec,
      maxHistoryEvents,
      workerPeakRssMb: Math.round(workerRssMb),
      notices: rows!.notices,
    }),
  );
  if (rows!.notices !== parties || rows!.noticedParties !== parties || rows!.sent !== parties) {
    console.error('not exactly one notice per party');
    process.exit(1);
  }
}

await main();
