/**
 * A chaos run (issue 12): N orders through the whole flow over the API, driven as a real client
 * drives it (a 503 retried after its Retry-After, a lost connection after a short back-off, every
 * command under one Idempotency-Key however often it is sent), while the worker, the Temporal dev
 * server and the API are SIGKILLed at moments drawn from a seeded PRNG and started again, as an
 * operator's supervisor would (PostgreSQL restarted too, when asked). Then what must hold after
 * all that: every order completed, each activation performed once at the activation system, one
 * RFB per phase, tasks and audit events exactly as a quiet run writes them, no 5xx but the 503s
 * that say which part is away, and how long each fault held the orders up.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { ActivationSimulator } from '../activities/adapters/activation.js';
import { datahost } from '../catalog/datahost.js';
import { milestoneNames } from '../domain/vocabulary.js';
import { openDatabase } from '../db/client.js';
import { activations, customers, orderEvents, productOrders, rfbs, taskEvents, tasks } from '../db/schema.js';
import { serveActivationSimulator } from './activation-service.js';
import { orderFlow, orderSteps, type Send } from './order-flow.js';
import { runPool } from './pool.js';
import { startOwnPostgres } from './own-postgres.js';
import { apiReady, exited, startBenchPlatform } from './processes.js';

export const faultableParts = ['worker', 'temporal', 'api', 'postgres'] as const;
export type Part = (typeof faultableParts)[number];

export interface ChaosOptions {
  orders: number;
  /** Orders driven at once. */
  concurrency: number;
  seed: number;
  /** One kill (for PostgreSQL a restart) per entry, in an order and at moments the seed draws. */
  faults: Part[];
  /** Past this the run stops driving; orders not completed by then count as not completed. */
  timeoutMs: number;
  /** When no order has moved for this long, the run stops driving (stuck orders are diagnosed in the report). */
  stallMs: number;
  /** Aborted (Ctrl-C), the run stops driving and checks what it has. */
  signal?: AbortSignal;
  /** Where the API's, the worker's, the dev server's (and our PostgreSQL's) output goes. */
  logDir: string;
  log?: (line: string) => void;
}

/** mulberry32: small, seedable, and good enough to draw kill moments from. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedFault {
  part: Part;
  /** Fires once the orders together have reached this many steps (and the previous fault's part is back and orders moved again)... */
  afterSteps: number;
  /** ...and this much later. */
  delayMs: number;
}

/**
 * The moments are drawn as counts of order steps, between a tenth and seven tenths of all the
 * steps the run's orders will take: so every kill lands while orders are in flight, however fast
 * or loaded the machine is. The seed fixes the plan; what exactly is in flight at a kill still
 * depends on timing.
 */
export function planFaults(faults: Part[], orders: number, random: () => number): PlannedFault[] {
  const parts = [...faults];
  for (let i = parts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [parts[i], parts[j]] = [parts[j]!, parts[i]!];
  }
  const totalSteps = orders * orderSteps.length;
  const at = parts.map(() => Math.max(1, Math.floor(totalSteps * (0.1 + 0.6 * random())))).sort((a, b) => a - b);
  return parts.map((part, i) => ({ part, afterSteps: at[i]!, delayMs: Math.floor(random() * 1500) }));
}

export interface FaultRecord extends PlannedFault {
  /** Seconds since the orders started. */
  killedAt?: number;
  /** Seconds from the kill until the part served again (the API's /ready, the dev server's RPC, PostgreSQL's start); the worker's start is seen only in progress. */
  backAfter?: number;
  /** Seconds from the kill until an order reached a step that came after it (after a request sent after the kill). */
  firstProgressAfter?: number;
  /** Orders started and not finished at the kill. */
  inFlight?: number;
  /** Seconds from the kill until each of those had completed. */
  inFlightDoneAfter?: number;
  /** The later faults (numbered from 1) that came before those were done: their outages are in that time too. */
  overlappedBy?: number[];
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ChaosReport {
  seed: number;
  orders: number;
  concurrency: number;
  completed: number;
  seconds: number;
  faults: FaultRecord[];
  /** Answers as the client saw them: by `METHOD /route`, by status (or `no connection`, `timeout`). */
  answers: Record<string, Record<string, number>>;
  /** Order completion times in seconds, sorted. */
  completionSeconds: number[];
  checks: Check[];
  ok: boolean;
}

/** The codes of a 503 that says which part is away (api/errors.ts); any other 5xx is a defect. */
const unavailableCodes = ['DATABASE_UNAVAILABLE', 'TEMPORAL_UNAVAILABLE'];
const requestTimeoutMs = 30_000;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const plan = planFaults(o.faults, o.orders, seededRandom(o.seed));
  const postgres = o.faults.includes('postgres') ? await startOwnPostgres() : undefined;
  const simulator = new ActivationSimulator({ latencyMs: 20, failureRate: 0 });
  const activationSystem = await serveActivationSimulator(simulator);
  const platform = await startBenchPlatform({
    purpose: 'chaos',
    databaseUrl: postgres?.url,
    logDir: o.logDir,
    // Billing is the run itself (it acknowledges each RFB), so each RFB and its answer are counted here.
    env: { ACTIVATION_ADAPTER: 'http', ACTIVATION_URL: activationSystem.url, BILLING_ADAPTER: 'pull', LOG_LEVEL: 'warn' },
  });
  const { url } = platform;
  log(`platform up: API ${url}, Temporal ${platform.server.address}, logs in ${o.logDir}`);

  // ----- a supervisor: what dies without our kill is counted, and started again.
  const killedByUs = new Set<number>();
  const diedByThemselves: string[] = [];
  let stopping = false;
  const supervise = (part: 'worker' | 'api') => {
    const child = platform[part];
    child.once('exit', (code, signal) => {
      if (stopping || killedByUs.has(child.pid!)) return;
      diedByThemselves.push(`${part} (pid ${child.pid}) exited by itself: ${signal ?? `code ${code}`}`);
      log(`! ${part} exited by itself (${signal ?? code}); starting another`);
      if (part === 'worker') platform.startWorker();
      else platform.startApi();
      supervise(part);
    });
  };
  const superviseServer = () => {
    const server = platform.server;
    void server.exited.then(async () => {
      if (stopping || killedByUs.has(server.pid)) return;
      diedByThemselves.push(`Temporal dev server (pid ${server.pid}) exited by itself`);
      await platform.startServer();
      superviseServer();
    });
  };
  supervise('worker');
  supervise('api');
  superviseServer();

  // ----- the client: retries as a real one would, and counts every answer by route.
  const answers = new Map<string, Map<string, number>>();
  const tally = (route: string, outcome: string) => {
    const byOutcome = answers.get(route) ?? new Map<string, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    answers.set(route, byOutcome);
  };
  const badServerAnswers = new Map<string, number>();
  // Why the run stopped driving before its orders were done, if it did.
  let stoppedDriving: string | undefined;
  const deadline = Date.now() + o.timeoutMs;
  o.signal?.addEventListener('abort', () => (stoppedDriving ??= 'interrupted'));
  const send: Send = async (r) => {
    const route = `${r.method} ${r.route}`;
    // A key per request, kept across its retries: a resend after a lost answer is taken once.
    // Keys themselves are not idempotent by design (README), so none is sent for them.
    const idempotencyKey = r.method === 'POST' && r.route !== '/apiKeys' ? randomUUID() : undefined;
    for (let backoff = 250; ;) {
      if (Date.now() > deadline) stoppedDriving ??= `the run's time (${o.timeoutMs / 1000} s) was up`;
      if (stoppedDriving) throw new Error(`not sent: ${stoppedDriving}`);
      let waitMs: number;
      try {
        const response = await fetch(url + r.path, {
          method: r.method,
          headers: {
            authorization: `Bearer ${r.key}`,
            ...(r.body ? { 'content-type': 'application/json' } : {}),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: r.body ? JSON.stringify(r.body) : undefined,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const text = await response.text();
        tally(route, String(response.status));
        if (response.status < 500) return { status: response.status, body: text ? JSON.parse(text) : undefined };
        const code = (() => {
          try {
            return (JSON.parse(text) as { code?: string }).code;
          } catch {
            return undefined;
          }
        })();
        const retryAfter = response.headers.get('retry-after');
        if (response.status !== 503 || !retryAfter || !unavailableCodes.includes(code ?? '')) {
          const what = `${route} ${response.status} ${code ?? '(no code)'}${retryAfter ? '' : ' without Retry-After'}`;
          badServerAnswers.set(what, (badServerAnswers.get(what) ?? 0) + 1);
        }
        waitMs = retryAfter && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) * 1000 : backoff;
      } catch (err) {
        if (err instanceof SyntaxError) throw err;
        tally(route, (err as Error).name === 'TimeoutError' ? 'timeout' : 'no connection');
        waitMs = backoff;
      }
      backoff = Math.min(backoff * 2, 2_000);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  };

  // ----- progress: every step any order reaches, as the client sees it.
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  const progress = new EventEmitter();
  /** Every step seen: when (seconds into the run), and since when it may have happened (see OrderFlowOptions.onStep). */
  const steps: { at: number; since: number }[] = [];
  const startedAt = new Map<number, number>();
  const finishedAt = new Map<number, number>();
  const orderIds = new Map<number, string>();
  const failures = new Map<number, string>();
  const { oneOrder } = await orderFlow(url, platform.adminKey, {
    send,
    pollMs: 200,
    onStep: ({ order, orderId, step, since }) => {
      orderIds.set(order, orderId);
      steps.push({ at: now(), since: (since - t0) / 1000 });
      if (step === 'completed') finishedAt.set(order, now());
      progress.emit('step');
    },
  });
  let ordersDone = false;
  const watchdog = setInterval(() => {
    const quietFor = now() - (steps.at(-1)?.at ?? 0);
    if (quietFor * 1000 > o.stallMs) stoppedDriving ??= `no order moved for ${Math.round(quietFor)} s`;
  }, 1_000);
  const driving = runPool(o.orders, o.concurrency, async (i) => {
    startedAt.set(i, now());
    try {
      await oneOrder(i);
    } catch (err) {
      failures.set(i, (err as Error).message);
      finishedAt.set(i, now());
    }
  }).finally(() => {
    clearInterval(watchdog);
    ordersDone = true;
    progress.emit('step');
  });

  // ----- the faults, one after another.
  const faults: FaultRecord[] = plan.map((p) => ({ ...p }));
  const untilProgress = async (cond: () => boolean) => {
    while (!cond() && !ordersDone) await once(progress, 'step');
  };
  async function inflict(part: Part): Promise<void> {
    if (part === 'worker' || part === 'api') {
      const child = platform[part];
      killedByUs.add(child.pid!);
      child.kill('SIGKILL');
      await exited(child);
      if (part === 'worker') platform.startWorker();
      else platform.startApi();
      supervise(part);
      if (part === 'api') await apiReady(url, 120_000);
    } else if (part === 'temporal') {
      const server = platform.server;
      killedByUs.add(server.pid);
      process.kill(server.pid, 'SIGKILL');
      await server.exited;
      await platform.startServer();
      superviseServer();
    } else {
      await postgres!.restart();
    }
  }
  const faulting = (async () => {
    for (const f of faults) {
      await untilProgress(() => steps.length >= f.afterSteps);
      await new Promise((resolve) => setTimeout(resolve, f.delayMs));
      if (ordersDone) break;
      const killedAt = now();
      f.killedAt = killedAt;
      f.inFlight = [...startedAt.keys()].filter((i) => !finishedAt.has(i)).length;
      log(`${killedAt.toFixed(1)} s: ${f.part === 'postgres' ? 'restarting PostgreSQL' : `killing the ${f.part} (SIGKILL)`}`);
      await inflict(f.part);
      if (f.part !== 'worker') f.backAfter = now() - killedAt;
      // The next fault waits for an order to move after this kill: one outage at a time, each measured.
      await untilProgress(() => steps.some((step) => step.since >= killedAt));
    }
  })();
  await Promise.all([driving, faulting]);
  const seconds = now();
  for (const f of faults) {
    if (f.killedAt === undefined) continue;
    // Progress after the kill is a step that came after a request sent after it: a step seen late
    // (by a poll) that may have come before the kill does not count.
    const after = steps.filter((step) => step.since >= f.killedAt!).map((step) => step.at);
    if (after.length) f.firstProgressAfter = Math.min(...after) - f.killedAt;
    const inFlight = [...startedAt.entries()].filter(([i, at]) => at <= f.killedAt! && !(finishedAt.get(i)! <= f.killedAt!));
    if (inFlight.every(([i]) => !failures.has(i) && finishedAt.has(i)))
      f.inFlightDoneAfter = Math.max(0, ...inFlight.map(([i]) => finishedAt.get(i)! - f.killedAt!));
    const doneAt = f.killedAt + (f.inFlightDoneAfter ?? Infinity);
    f.overlappedBy = faults.flatMap((g, n) => (g.killedAt !== undefined && g.killedAt > f.killedAt! && g.killedAt < doneAt ? [n + 1] : []));
  }
  log(`orders done after ${seconds.toFixed(1)} s; checking`);

  // ----- the checks, against what the system holds.
  const database = await openDatabase({ url: platform.scratchDb.url, poolSize: 2, dataDir: o.logDir });
  const checks: Check[] = [];
  const check = (name: string, problems: string[], fine: string) =>
    checks.push({ name, ok: problems.length === 0, detail: problems.length ? problems.slice(0, 10).join('; ') : fine });
  try {
    const db = database.db;
    const ids = [...orderIds.values()];
    const completed = [...finishedAt.keys()].filter((i) => !failures.has(i));
    const orderRows = ids.length ? await db.select().from(productOrders).where(inArray(productOrders.id, ids)) : [];
    const [{ orders: ordersInDb } = { orders: 0 }] = await db.select({ orders: count() }).from(productOrders);
    const [{ customers: customersInDb } = { customers: 0 }] = await db.select({ customers: count() }).from(customers);
    check(
      'every order completed',
      [
        ...[...failures.entries()].map(([i, message]) => `order ${i} (${orderIds.get(i) ?? 'not entered'}): ${message}`),
        ...Array.from({ length: o.orders }, (_, i) => i)
          .filter((i) => !startedAt.has(i))
          .map((i) => `order ${i} never started`),
        ...orderRows.filter((r) => r.state !== 'completed').map((r) => `${r.id} is ${r.state} in the database`),
        ...(ordersInDb !== o.orders ? [`${ordersInDb} orders in the database for ${o.orders} entered`] : []),
        ...(customersInDb !== o.orders ? [`${customersInDb} customers in the database for ${o.orders} entered`] : []),
      ],
      `${completed.length} of ${o.orders}, each once in the database`,
    );
    // Diagnose what did not complete, in the words support reads (GET /workflows/{id}).
    for (const row of orderRows.filter((r) => r.state !== 'completed')) {
      const answer = await fetch(`${url}/api/v1/workflows/order-${row.id}`, { headers: { authorization: `Bearer ${platform.adminKey}` } })
        .then((r) => r.json() as Promise<{ diagnosis?: string }>)
        .catch((err: Error) => ({ diagnosis: `(not readable: ${err.message})` }));
      checks.at(-1)!.detail += `; ${row.id}: ${answer.diagnosis}`;
    }

    // Each automatic component activated once, under one key, at the activation system.
    const automatic = datahost.components.filter((c) => c.fulfilment !== 'manual').map((c) => c.id);
    const activationProblems: string[] = [];
    let keys = 0;
    for (const id of ids) {
      const held = simulator.held(id);
      keys += held.length;
      const components = held.map((h) => h.componentId).sort();
      if (JSON.stringify(components) !== JSON.stringify([...automatic].sort()))
        activationProblems.push(`${id}: the activation system holds ${components.join(', ') || 'nothing'}`);
      for (const h of held) {
        if (h.state !== 'active') activationProblems.push(`${h.key} is ${h.state}`);
        if (simulator.performed.get(h.key) !== 1) activationProblems.push(`${h.key} performed ${simulator.performed.get(h.key)} times`);
      }
    }
    const calls = ids.length ? await db.select().from(activations).where(inArray(activations.orderId, ids)) : [];
    for (const key of new Set(calls.map((c) => c.idempotencyKey))) {
      const rows = calls.filter((c) => c.idempotencyKey === key);
      if (!rows.some((r) => r.status === 'succeeded')) activationProblems.push(`${key}: no call recorded as succeeded`);
      if (rows.some((r) => r.status === 'sent')) activationProblems.push(`${key}: a call left recorded as sent`);
    }
    const repeats = simulator.requests.length - simulator.performed.size;
    check(
      'one activation per key at the activation system',
      activationProblems,
      `${keys} keys, each performed once (${repeats} call(s) repeated under their key and answered as the first)`,
    );

    const rfbRows = ids.length ? await db.select().from(rfbs).where(inArray(rfbs.orderId, ids)) : [];
    check(
      'one RFB per phase',
      ids.flatMap((id) => {
        const mine = rfbRows.filter((r) => r.orderId === id);
        const phases = mine.map((r) => r.phase).sort();
        return [
          ...(JSON.stringify(phases) !== '[1,2]' ? [`${id} has RFBs for phases [${phases.join(',')}]`] : []),
          ...mine.filter((r) => r.status !== 'accepted').map((r) => `${r.id} is ${r.status}`),
        ];
      }),
      `${rfbRows.length} RFBs, phases 1 and 2 of each order, each accepted`,
    );

    const taskRows = ids.length
      ? await db
          .select()
          .from(tasks)
          .where(and(eq(tasks.subjectType, 'order'), inArray(tasks.subjectId, ids)))
      : [];
    const events = taskRows.length
      ? await db
          .select()
          .from(taskEvents)
          .where(
            inArray(
              taskEvents.taskId,
              taskRows.map((t) => t.id),
            ),
          )
          .orderBy(asc(taskEvents.at), asc(taskEvents.version))
      : [];
    const manual = datahost.components.filter((c) => c.fulfilment === 'manual').length;
    check(
      'tasks and their events exact',
      ids.flatMap((id) => {
        const mine = taskRows.filter((t) => t.subjectId === id);
        return [
          ...(mine.length !== manual ? [`${id} has ${mine.length} tasks for ${manual} manual components`] : []),
          ...mine.flatMap((t) => {
            const actions = events.filter((e) => e.taskId === t.id).map((e) => e.action);
            return [
              ...(t.status !== 'completed' ? [`${t.id} is ${t.status}`] : []),
              ...(JSON.stringify(actions) !== JSON.stringify(expectedTaskActions) ? [`${t.id} has events ${actions.join(', ')}`] : []),
            ];
          }),
        ];
      }),
      `${taskRows.length} tasks, each ${expectedTaskActions.join(' > ')} once`,
    );

    const orderEventRows = ids.length
      ? await db.select().from(orderEvents).where(inArray(orderEvents.orderId, ids)).orderBy(asc(orderEvents.id))
      : [];
    check(
      'order events exact',
      ids.flatMap((id) => {
        const mine = orderEventRows.filter((e) => e.orderId === id).map((e) => eventName(e.productOrder));
        const extra = [...mine];
        for (const expected of expectedOrderEvents) extra.splice(extra.indexOf(expected), extra.includes(expected) ? 1 : 0);
        const missing = expectedOrderEvents.filter((e) => !mine.includes(e));
        return [
          ...(extra.length ? [`${id} has extra events ${extra.join(', ')}`] : []),
          ...(missing.length ? [`${id} lacks events ${missing.join(', ')}`] : []),
        ];
      }),
      `${orderEventRows.length} events, each order's ${expectedOrderEvents.length} once`,
    );
  } finally {
    await database.close();
  }

  check(
    'no 5xx but 503 with Retry-After naming the part away',
    [...badServerAnswers.entries()].map(([what, n]) => `${n} x ${what}`),
    `${[...answers.values()].reduce((sum, byOutcome) => sum + (byOutcome.get('503') ?? 0), 0)} answers 503, each with Retry-After and its code`,
  );
  check(
    'every fault landed and the orders moved on',
    faults.flatMap((f, i) => [
      ...(f.killedAt === undefined ? [`fault ${i + 1} (${f.part}) never landed: the orders were done`] : []),
      ...(f.killedAt !== undefined && !f.inFlight ? [`fault ${i + 1} (${f.part}) landed with no order in flight`] : []),
      ...(f.killedAt !== undefined && f.firstProgressAfter === undefined ? [`no order moved after fault ${i + 1} (${f.part})`] : []),
    ]),
    `${faults.length} faults, each with orders in flight`,
  );
  check('no process died by itself', diedByThemselves, 'none');

  stopping = true;
  await platform.stop();
  await activationSystem.close();
  await postgres?.stop();

  const completionSeconds = [...finishedAt.entries()]
    .filter(([i]) => !failures.has(i))
    .map(([i, at]) => at - startedAt.get(i)!)
    .sort((a, b) => a - b);
  return {
    seed: o.seed,
    orders: o.orders,
    concurrency: o.concurrency,
    completed: completionSeconds.length,
    seconds,
    faults,
    answers: Object.fromEntries([...answers.entries()].sort().map(([route, byOutcome]) => [route, Object.fromEntries(byOutcome)])),
    completionSeconds,
    checks,
    ok: checks.every((c) => c.ok),
  };
}

/** A task of this flow: opened by the workflow, started and completed by back office. */
const expectedTaskActions = ['open', 'start', 'complete'];

/** An order event as a name: `state:inProgress`, `activation1:done`. */
const eventName = (productOrder: Record<string, unknown>) => {
  const milestone = productOrder.milestone as { name: string; status: string } | undefined;
  return milestone ? `${milestone.name}:${milestone.status}` : `state:${String(productOrder.state)}`;
};

/** What a quiet run writes for an order of this flow, each once: its states, and every milestone begun and done. */
const expectedOrderEvents = [
  'state:acknowledged',
  'state:inProgress',
  'state:completed',
  ...milestoneNames.flatMap((name) => [`${name}:inProgress`, `${name}:done`]),
];
