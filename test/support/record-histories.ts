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

interface Recipe {
  file: string;
  workflowId: string;
  run(client: Client, taskQueue: string, workflowId: string): Promise<unknown>;
}

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
];

async function main() {
  const { cli } = ensureTemporalBinaries(console.log);
  const server = await startDevServer({ executable: cli!, port: await freePort(), namespace: 'default' });
  const taskQueue = `record-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(fileURLToPath(new URL('./workflows.ts', import.meta.url))),
    activities: createTestActivities(),
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  await worker.runUntil(async () => {
    for (const recipe of recipes) {
      await recipe.run(client, taskQueue, recipe.workflowId);
      const history = await client.workflow.getHandle(recipe.workflowId).fetchHistory();
      const path = fileURLToPath(new URL(`../histories/${recipe.file}`, import.meta.url));
      writeFileSync(path, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
      console.log(`recorded ${recipe.workflowId} -> ${path}`);
    }
  });
  await nativeConnection.close();
  await server.stop();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
