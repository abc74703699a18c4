/** Workers in processes of their own (test/support/worker-process.ts), for tests that SIGKILL them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** Starts a worker on `taskQueue` with the given external systems, and resolves once it polls. */
export function startWorkerProcess(
  taskQueue: string,
  systems: { ACTIVATION_URL: string; NOTIFICATION_URL?: string; DIE_AFTER_STEP_BEGINS?: string },
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./worker-process.ts', import.meta.url))], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('devServerAddress'),
      TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      ...systems,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('worker running') && resolve(child));
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it ran`)));
  });
}
