/**
 * DBOS Transact on the order shape, in a process of its own: each step a DBOS step writing its
 * row, each event a message the workflow receives once it has said (an event) that it waits.
 * Prints one EngineResult line.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import postgres from 'postgres';
import { eventAfter, events, steps } from './shape.js';
import { cpuSeconds, reportAndExit, timedPool } from './measure.js';

const [databaseUrl, ordersArg, concurrencyArg] = process.argv.slice(2);
const orders = Number(ordersArg);
const concurrency = Number(concurrencyArg);
const sql = postgres(databaseUrl!, { max: 10 });
await sql`create table if not exists peer_steps (engine text, order_id text, step int, at timestamptz default now(), primary key (engine, order_id, step))`;

async function peerOrder(orderId: string): Promise<void> {
  for (let step = 1; step <= steps; step++) {
    await DBOS.runStep(
      async () => {
        await sql`insert into peer_steps (engine, order_id, step) values ('dbos', ${orderId}, ${step}) on conflict do nothing`;
      },
      { name: `step-${step}` },
    );
    const event = eventAfter(step);
    if (event) {
      await DBOS.setEvent(`waiting-${event}`, true);
      await DBOS.recv<number>(`event-${event}`, 60);
    }
  }
}
const order = DBOS.registerWorkflow(peerOrder, { name: 'peerOrder' });

const systemDatabaseUrl = new URL(databaseUrl!);
systemDatabaseUrl.pathname = `${systemDatabaseUrl.pathname}_dbos_sys`;
DBOS.setConfig({ name: 'orquesta-peers', systemDatabaseUrl: systemDatabaseUrl.toString(), logLevel: 'warn' } as never);
await DBOS.launch();
const one = async (i: number) => {
  const id = `D-${process.pid}-${i}`;
  const handle = await DBOS.startWorkflow(order, { workflowID: id })(id);
  for (let event = 1; event <= events; event++) {
    await DBOS.getEvent(id, `waiting-${event}`, 60);
    await DBOS.send(id, event, `event-${event}`);
  }
  await handle.getResult();
};
await timedPool(Math.min(5, orders), concurrency, (i) => one(orders + i)); // warm-up
const cpuBefore = cpuSeconds();
const run = await timedPool(orders, concurrency, one);
await DBOS.shutdown();
await sql.end();
reportAndExit('dbos', 'dbos + clients', run, cpuBefore);
