/**
 * Raw Temporal on the order shape, in a process of its own (so its memory is its own): a worker
 * and the clients that start orders and send their events. Prints one EngineResult line.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import { events } from './shape.js';
import { cpuSeconds, reportAndExit, timedPool } from './measure.js';
import { eventUpdate } from './temporal-workflow.js';

const [address, databaseUrl, ordersArg, concurrencyArg] = process.argv.slice(2);
const orders = Number(ordersArg);
const concurrency = Number(concurrencyArg);
Runtime.install({ logger: new DefaultLogger('WARN') });
const sql = postgres(databaseUrl!, { max: 10 });
await sql`create table if not exists peer_steps (engine text, order_id text, step int, at timestamptz default now(), primary key (engine, order_id, step))`;

const workflowBundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./temporal-workflow.ts', import.meta.url)),
  webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } } }),
  logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
});
const taskQueue = `peers-${process.pid}`;
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: address! }),
  taskQueue,
  workflowBundle,
  activities: {
    async writeStep(orderId: string, step: number) {
      await sql`insert into peer_steps (engine, order_id, step) values ('temporal', ${orderId}, ${step}) on conflict do nothing`;
    },
  },
});
const client = new Client({ connection: await Connection.connect({ address: address! }) });
let cpuBefore = 0;
const run = await worker.runUntil(async () => {
  const one = async (i: number) => {
    const handle = await client.workflow.start('peerOrder', {
      taskQueue,
      workflowId: `peer-${process.pid}-${i}`,
      args: [`T-${process.pid}-${i}`],
    });
    for (let event = 1; event <= events; event++) await handle.executeUpdate(eventUpdate, { args: [event] });
    await handle.result();
  };
  await timedPool(Math.min(5, orders), concurrency, (i) => one(orders + i)); // warm-up
  cpuBefore = cpuSeconds();
  return timedPool(orders, concurrency, one);
});
await sql.end();
reportAndExit('temporal', 'worker + clients', run, cpuBefore);
