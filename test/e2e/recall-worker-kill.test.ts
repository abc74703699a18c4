/**
 * A worker killed (SIGKILL) in the middle of a recall's notices: another worker takes the batch
 * up where the last heartbeat left it, and every party ends with exactly one notice, in our rows
 * and at the notification system (a loopback HTTP system that keeps the first delivery per id and
 * answers each call slowly, so the kill lands mid-batch).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recallNotices } from '../../db/schema.js';
import { seedParties } from '../../db/seed/parties.js';
import { startLoopback } from '../support/loopback.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { webSpaceRecall } from '../support/recalls.js';
import { startWorkerProcess } from '../support/worker-processes.js';

const parties = 3_000;
/** The notification system over HTTP: the first delivery per message id counts; every copy is counted too. */
const deliveries = new Map<string, number>();
let copies = 0;
let system: Awaited<ReturnType<typeof startLoopback>>;
let p: TestPlatform;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  system = await startLoopback(({ path, body }) => {
    if (path !== '/messages') return { status: 404 };
    const messages = body.messages as { id: string; email: string | null }[];
    for (const m of messages) {
      copies++;
      deliveries.set(m.id, (deliveries.get(m.id) ?? 0) + (deliveries.has(m.id) ? 0 : 1));
    }
    return { status: 200, body: { delivered: messages.map((m) => ({ id: m.id, method: m.email ? 'email' : 'letter' })) }, delayMs: 400 };
  });
  p = await startTestPlatform({ worker: false });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await p?.close();
  await system?.close();
});

async function startWorker() {
  const child = await startWorkerProcess(p.taskQueue, { ACTIVATION_URL: 'http://127.0.0.1:9/unused', NOTIFICATION_URL: system.url });
  workers.push(child);
  return child;
}

describe('a worker killed mid-notification', () => {
  it('ends with exactly one notice per party, here and at the notification system', { timeout: 180_000 }, async () => {
    // A day of their own in the past: the recall's scope by date reaches these parties and no other test's.
    const day = new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 3650) * 24 * 3600_000).toISOString().slice(0, 10);
    await seedParties(p.database.db, {
      prefix: `K${randomUUID().slice(0, 8)}`,
      count: parties,
      productId: 'datahost',
      componentId: 'datahost.web-space',
      activatedAt: new Date(`${day}T12:00:00Z`),
    });
    await startWorker();
    const admin = bearer(p.adminKey);
    const created = await p.app.inject({
      method: 'POST',
      url: '/api/v1/recalls',
      headers: admin,
      payload: webSpaceRecall([], { scope: { activatedFrom: day, activatedTo: day } }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const hazard = `${id}:hazard`;
    await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/recalls/${id}`, headers: admin })).json(),
      (r) => r.openTasks.length === 1,
      30_000,
    );
    const assessed = await p.app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${encodeURIComponent(hazard)}/complete`,
      headers: admin,
      payload: { outcome: { likelihood: 'likely', consequence: 'serious', class: 'I' } },
    });
    expect(assessed.statusCode, assessed.body).toBe(200);

    // Two calls of 500 are through and the third is on its way: kill the worker, start another.
    await eventually(
      async () => copies,
      (n) => n >= 1_000,
      60_000,
    );
    workers[0]!.kill('SIGKILL');
    const killedAt = Date.now();
    const sentAtKill = deliveries.size;
    await startWorker();

    const done = await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/recalls/${id}`, headers: admin })).json(),
      (r) => r.status === 'monitoring',
      150_000,
    );
    const recoveredInMs = Date.now() - killedAt;
    expect(done.counts).toMatchObject({ affected: parties, notified: parties });
    const [rows] = await p.database.db
      .select({ notices: sql<number>`count(*)::int`, parties: sql<number>`count(distinct ${recallNotices.customerId})::int` })
      .from(recallNotices)
      .where(eq(recallNotices.recallId, id));
    expect(rows).toEqual({ notices: parties, parties });
    const ours = [...deliveries.entries()].filter(([key]) => key.startsWith(`${id}:`));
    expect(ours.length).toBe(parties);
    expect(ours.every(([, n]) => n === 1)).toBe(true);
    // The figures for the note: how much was resent (and deduped) and how long recovery took.
    console.log(
      JSON.stringify({ parties, deliveredAtKill: sentAtKill, copiesReceived: copies, resentAndDeduped: copies - parties, recoveredInMs }),
    );
  });
});
