/**
 * Graceful shutdown: the API answers requests already in flight before it closes, and the
 * worker lets a running activity finish within its grace time.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorkers } from '../../runtime/worker.js';
import { loadTemporalConfig } from '../../temporal.config.js';
import { createTestActivities } from '../support/activities.js';
import { bearer, startTestPlatform, workflowBundle, type TestPlatform } from '../support/platform.js';
import { slowSubject, stuckSubject } from '../support/workflows.js';

let p: TestPlatform;
beforeAll(async () => void (p = await startTestPlatform({ worker: false })));
afterAll(() => p?.close());

describe('graceful shutdown', () => {
  it('lets a running activity finish when the worker is told to stop', async () => {
    const taskQueue = `shutdown-${randomUUID()}`;
    const config = loadTemporalConfig({ WORKER_SHUTDOWN_GRACE_MS: '10000' });
    const connection = await NativeConnection.connect({ address: inject('devServerAddress') });
    const workers = await createWorkers({
      connection,
      config,
      taskQueues: [taskQueue],
      activities: createTestActivities(),
      workflowBundle: workflowBundle(),
    });
    const running = workers.run();
    const handle = await p.client.workflow.start(slowSubject, { workflowId: `slow-${randomUUID()}`, taskQueue, args: [1500] });
    for (;;) {
      const d = await handle.describe();
      if (d.raw.pendingActivities?.[0]?.state === 2 /* STARTED */) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const stoppedAt = Date.now();
    workers.shutdown();
    await running;
    expect(Date.now() - stoppedAt).toBeGreaterThan(500); // it waited for the activity
    await connection.close();
    const events = (await handle.fetchHistory()).events!;
    expect(events.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
    expect(events.some((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes)).toBe(false);
    await handle.terminate('test over');
  });

  it('answers a request in flight, then closes without waiting for keep-alive connections', async () => {
    // Describing a run nobody polls for waits about 3 s on its state query: a slow request.
    const handle = await p.client.workflow.start(stuckSubject, {
      workflowId: `slow-request-${randomUUID()}`,
      taskQueue: `nobody-${randomUUID()}`,
    });
    const own = await startTestPlatform({ worker: false });
    const support = bearer(await own.keyFor('support'));
    await own.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = own.app.server.address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/workflows/${handle.workflowId}`, { headers: support });
    await new Promise((r) => setTimeout(r, 300));
    const closeStarted = Date.now();
    const closed = own.app.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(((await response.json()) as { workflowId: string }).workflowId).toBe(handle.workflowId);
    await closed;
    expect(Date.now() - closeStarted).toBeLessThan(10_000); // not the 72 s keep-alive timeout
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    await own.close();
    await handle.terminate('test over');
  });
});
