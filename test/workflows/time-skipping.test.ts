/**
 * The harness's time-skipping server: a 24-hour deadline is exercised in seconds, as the order
 * and escalation rules will be, instead of shortening the rule.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestActivities } from '../support/activities.js';
import { startFileWorker } from '../support/platform.js';
import { timeSkippingEnvironment } from '../support/time-skipping.js';
import { deadlineSubject, proceed } from '../support/workflows.js';

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startFileWorker>> | undefined;
const taskQueue = `time-${randomUUID()}`;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  worker = await startFileWorker(env.nativeConnection, taskQueue, createTestActivities());
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

describe('time-skipping server', () => {
  it('lets a 24-hour deadline pass in seconds', async () => {
    const started = Date.now();
    const handle = await env.client.workflow.start(deadlineSubject, { workflowId: `deadline-${randomUUID()}`, taskQueue });
    expect(await handle.result()).toBe('missed');
    expect(Date.now() - started).toBeLessThan(20_000);
    const history = await handle.fetchHistory();
    const timer = history.events!.find((e) => e.timerStartedEventAttributes)!.timerStartedEventAttributes!;
    expect(Number(timer.startToFireTimeout!.seconds)).toBe(24 * 3600);
  });

  it('meets the deadline when the signal arrives after 23 skipped hours', async () => {
    const handle = await env.client.workflow.start(deadlineSubject, { workflowId: `deadline-${randomUUID()}`, taskQueue });
    const before = await env.currentTimeMs();
    await env.sleep('23 hours');
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(23 * 3600 * 1000);
    await handle.signal(proceed, 'in time');
    expect(await handle.result()).toBe('met');
  });
});
