/**
 * Task writes land in order and once: each carries the task's version, a row changes only over an
 * older version, and the audit event is keyed by the version. With every activity transaction
 * slowed, a read right after an action's 200 still shows that action.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxActivities } from '../../activities/inbox.js';
import type { Db } from '../../db/client.js';
import { taskEvents, tasks } from '../../db/schema.js';
import { datahost } from '../../catalog/datahost.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

const slowTransactionsMs = 400;

/** The same database, every transaction started `ms` late: a slow or busy PostgreSQL. */
const slowed = (db: Db, ms: number): Db =>
  new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<Db['transaction']>) => {
        await new Promise((r) => setTimeout(r, ms));
        return target.transaction(...args);
      };
    },
  });

let p: TestPlatform;
beforeAll(async () => void (p = await startTestPlatform({ activityDb: (db) => slowed(db, slowTransactionsMs) })));
afterAll(() => p?.close());

describe('task writes', () => {
  it('apply only over an older version and add one audit event per action, however often retried', async () => {
    const inbox = inboxActivities(p.database.db);
    const id = `versions-${Date.now()}`;
    const task = {
      id,
      kind: 'manualFulfilment',
      subjectType: 'order',
      subjectId: 'ORD-VERSIONS',
      workflowId: 'none',
      group: 'provisioning',
      title: 't',
      priority: 3,
      dueAt: new Date().toISOString(),
      input: {},
    } as const;
    const action = (version: number, status: 'opened' | 'inProgress', what: string) =>
      inbox.recordTaskAction({
        taskId: id,
        version,
        status,
        assignee: 'ana',
        group: 'provisioning',
        outcome: null,
        event: { action: what, actor: 'ana', details: null },
      });

    await inbox.openTask(task);
    await inbox.openTask(task); // a retried open
    await action(2, 'opened', 'claim');
    await action(2, 'opened', 'claim'); // a retried claim
    await action(3, 'inProgress', 'start');
    await action(2, 'opened', 'claim'); // the first claim's attempt, landing late

    const [row] = await p.database.db.select().from(tasks).where(eq(tasks.id, id));
    expect(row).toMatchObject({ version: 3, status: 'inProgress' });
    const events = await p.database.db.select().from(taskEvents).where(eq(taskEvents.taskId, id)).orderBy(asc(taskEvents.version));
    expect(events.map((e) => [e.version, e.action])).toEqual([
      [1, 'open'],
      [2, 'claim'],
      [3, 'start'],
    ]);
  });

  it('are never stale when read right after the 200, even with a slow database', async () => {
    const agent = bearer(await p.keyFor('agent'));
    const provisioning = bearer(await p.keyFor('backoffice', { groups: ['provisioning'] }));
    const orderId = await p.enterOrder(agent, {
      taxId: `SLOW-${Date.now()}`,
      components: datahost.components.filter((c) => c.fulfilment === 'manual').map((c) => c.id),
    });
    const order = await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/productOrders/${orderId}`, headers: agent })).json(),
      (o) => o.openTasks.some((t: { group: string }) => t.group === 'provisioning'),
    );
    const taskId = order.openTasks.find((t: { group: string }) => t.group === 'provisioning').id as string;
    const read = async () => (await p.app.inject({ method: 'GET', url: `/api/v1/tasks/${taskId}`, headers: provisioning })).json();

    for (const [action, body, expected] of [
      ['claim', {}, { status: 'opened', version: 2 }],
      ['release', {}, { assignee: null, version: 3 }],
      ['start', {}, { status: 'inProgress', version: 4 }],
      ['complete', { outcome: { done: true } }, { status: 'completed', version: 5 }],
    ] as const) {
      const started = Date.now();
      const answer = await p.app.inject({ method: 'POST', url: `/api/v1/tasks/${taskId}/${action}`, headers: provisioning, payload: body });
      expect(answer.statusCode, answer.body).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(slowTransactionsMs); // the answer waited for the slow write
      expect(answer.json()).toMatchObject(expected);
      expect(await read()).toMatchObject(expected);
    }
    expect((await read()).events.map((e: { action: string }) => e.action)).toEqual(['open', 'claim', 'release', 'start', 'complete']);
  });
});
