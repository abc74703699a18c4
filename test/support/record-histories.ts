/**
 * Records the histories that test/replay replays (`npm run histories:record`). Each recipe
 * drives one workflow to completion on a throw-away dev server and writes its history as
 * Temporal's JSON. Record again only on purpose: a changed history is what replay guards against.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ensureTemporalBinaries } from '../../runtime/temporal-binaries.js';
import { freePort, startDevServer } from '../../runtime/temporal-server.js';
import { bundleWorkflows } from '../../runtime/worker.js';
import { createTestActivities } from './activities.js';
import { addNote, inspectionSubject, proceed } from './workflows.js';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { openDatabase, type Database } from '../../db/client.js';
import { seedCatalogue } from '../../db/seed/catalog.js';
import { taskActionUpdate } from '../../workflows/inbox.contract.js';
import { acceptanceUpdate, defaultOrderSettings, rfbAcknowledgementUpdate } from '../../workflows/order.contract.js';
import { datahost } from '../../catalog/datahost.js';
import { datahostRequest, startOrder } from './orders.js';
import { createScratchDatabase } from '../../db/scratch.js';

interface Recipe {
  file: string;
  workflowId: string;
  run(client: Client, taskQueue: string, workflowId: string, database: Database): Promise<unknown>;
}

const operator = { keyId: 'recorder', role: 'admin', groups: [] };

/**
 * Histories recorded by earlier versions of a workflow, kept so that replay proves each
 * `patched()` branch still takes them: the file and the workflow id it was recorded under.
 */
export const retiredHistories = [{ file: 'order-completed-v1-remote-writes.json', workflowId: 'order-ORD-217BFA49C337F1A1' }];

export const recipes: Recipe[] = [
  {
    file: 'inspection-subject.json',
    workflowId: 'inspection-subject-recorded',
    async run(client, taskQueue, workflowId) {
      const handle = await client.workflow.start(inspectionSubject, { workflowId, taskQueue });
      await handle.executeUpdate(addNote, { args: ['recorded'] });
      await handle.signal(proceed, 'recorder');
      return handle.result();
    },
  },
  {
    // Every optional component: both activations, manual tasks, both acceptances and RFBs.
    file: 'order-completed.json',
    workflowId: 'order-ORD-217BFA49C337F1A1',
    async run(client, taskQueue, _workflowId, database) {
      const request = { ...datahostRequest(datahost.components.filter((c) => !c.mandatory).map((c) => c.id), 'REC-0001'), externalId: 'recorded-order' };
      const o = await startOrder(client, database.db, taskQueue, request, defaultOrderSettings);
      await o.until((s) => s.waitingFor.includes('acceptance1') && s.openTaskIds.length === 2);
      await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 1, decision: 'accepted', actor: 'customer' }] });
      const s1 = await o.until((s) => s.rfbs.length === 1);
      await o.handle.executeUpdate(rfbAcknowledgementUpdate, { args: [{ rfbId: s1.rfbs[0]!.id, status: 'accepted', billingAccountId: 'BA-REC' }] });
      for (const taskId of s1.openTaskIds) {
        await o.handle.executeUpdate(taskActionUpdate, { args: [{ taskId, action: 'start', actor: operator }] });
        await o.handle.executeUpdate(taskActionUpdate, { args: [{ taskId, action: 'complete', actor: operator, outcome: { done: true } }] });
      }
      await o.until((s) => s.waitingFor.includes('acceptance2'));
      await o.handle.executeUpdate(acceptanceUpdate, { args: [{ phase: 2, decision: 'accepted', actor: 'customer' }] });
      const s2 = await o.until((s) => s.rfbs.length === 2);
      await o.handle.executeUpdate(rfbAcknowledgementUpdate, { args: [{ rfbId: s2.rfbs[1]!.id, status: 'accepted' }] });
      if (o.handle.workflowId !== this.workflowId) throw new Error(`recipe's workflowId should be ${o.handle.workflowId}`);
      return o.handle.result();
    },
  },
];

async function main() {
  const { cli } = ensureTemporalBinaries(console.log);
  const scratchDb = await createScratchDatabase('record');
  const database = await openDatabase({ url: scratchDb.url, poolSize: 4, dataDir: '.data' });
  await database.migrate();
  await seedCatalogue(database.db);
  const server = await startDevServer({ executable: cli!, port: await freePort(), namespace: 'default' });
  const taskQueue = `record-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(fileURLToPath(new URL('./workflows.ts', import.meta.url))),
    activities: { ...createTestActivities(), ...createActivities({ db: database.db, activation: new ActivationSimulator(), billing: new PullBillingSystem() }) },
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  await worker.runUntil(async () => {
    for (const recipe of recipes) {
      await recipe.run(client, taskQueue, recipe.workflowId, database);
      const history = await client.workflow.getHandle(recipe.workflowId).fetchHistory();
      const path = fileURLToPath(new URL(`../histories/${recipe.file}`, import.meta.url));
      writeFileSync(path, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
      console.log(`recorded ${recipe.workflowId} -> ${path}`);
    }
  });
  await nativeConnection.close();
  await server.stop();
  await database.close();
  await scratchDb.drop();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
