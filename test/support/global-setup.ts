/**
 * Once per test run: a Temporal dev server of our own (the SDK's launcher allows a server only
 * ~5 s to come up, too little on a loaded 2-core machine), the time-skipping server's binary for
 * the files that start one each, a fresh database on the real PostgreSQL, migrated, and the
 * workflow bundle built once for all files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client.js';
import { createScratchDatabase } from '../../db/scratch.js';
import { seedCatalogue } from '../../db/seed/catalog.js';
import { ensureTemporalBinaries, missingBinariesMessage, temporalCli, temporalTestServer } from '../../runtime/temporal-binaries.js';
import { freePort, startDevServer } from '../../runtime/temporal-server.js';
import { bundleWorkflows } from '../../runtime/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    devServerAddress: string;
    timeSkippingExecutable: string;
    databaseUrl: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const { cli, testServer } = ensureTemporalBinaries((line) => console.log(line));
  if (!cli) throw new Error(missingBinariesMessage(temporalCli));
  if (!testServer) throw new Error(missingBinariesMessage(temporalTestServer));
  const scratch = mkdtempSync(join(tmpdir(), 'orquesta-test-'));

  const dev = await startDevServer({
    executable: cli,
    port: await freePort(),
    namespace: 'default',
    logFile: join(scratch, 'dev-server.log'),
  });

  const scratchDb = await createScratchDatabase('test');
  const database = await openDatabase({ url: scratchDb.url, poolSize: 1, dataDir: scratch });
  await database.migrate();
  await seedCatalogue(database.db);
  await database.close();

  const bundle = await bundleWorkflows(fileURLToPath(new URL('./workflows.ts', import.meta.url)));
  const workflowBundlePath = join(scratch, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('devServerAddress', dev.address);
  project.provide('timeSkippingExecutable', testServer);
  project.provide('databaseUrl', scratchDb.url);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await dev.stop();
    await scratchDb.drop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
