/**
 * A datahost order (every optional component) through Orquesta's whole flow over HTTP, with the
 * bench as agent, customer, back office and billing; each call's latency kept by route.
 */
import { datahost } from '../catalog/datahost.js';

export interface FlowRequest {
  key: string;
  method: string;
  /** The route's template, e.g. `/tasks/:id/complete`, for figures by route. */
  route: string;
  path: string;
  body?: unknown;
}
/** How one call goes out; answers the final status and JSON body. */
export type Send = (r: FlowRequest) => Promise<{ status: number; body: any }>;

/** Each call sent once, as a benchmark does. */
export const sendOnce =
  (url: string): Send =>
  async (r) => {
    const response = await fetch(url + r.path, {
      method: r.method,
      headers: { authorization: `Bearer ${r.key}`, ...(r.body ? { 'content-type': 'application/json' } : {}) },
      body: r.body ? JSON.stringify(r.body) : undefined,
    });
    return { status: response.status, body: await response.json() };
  };

/** The steps an order of this flow reaches, in order (its two manual tasks each started and completed). */
export const orderSteps = [
  'entered',
  'awaitingAcceptance1',
  'accepted1',
  'rfb1Sent',
  'rfb1Acknowledged',
  'taskStarted',
  'taskCompleted',
  'taskStarted',
  'taskCompleted',
  'awaitingAcceptance2',
  'accepted2',
  'rfb2Sent',
  'rfb2Acknowledged',
  'completed',
] as const;
export type OrderStep = (typeof orderSteps)[number];

export interface OrderFlowOptions {
  latencies?: Map<string, number[]>;
  /** How each call goes out: by default once (`sendOnce`); a chaos run retries through outages. */
  send?: Send;
  /** How often an order is read while the flow waits for its next step. */
  pollMs?: number;
  /**
   * Told of every step an order reaches, as soon as the flow sees it; `since` (performance.now())
   * is when the order's latest request that had not seen it yet was sent: the step came after.
   */
  onStep?: (s: { order: number; orderId: string; step: OrderStep; since: number }) => void;
}

export async function orderFlow(url: string, adminKey: string, o: OrderFlowOptions = {}) {
  const send = o.send ?? sendOnce(url);
  const pollMs = o.pollMs ?? 25;
  async function call(key: string, method: string, route: string, path: string, body?: unknown) {
    const started = performance.now();
    const answer = await send({ key, method, route, path, body });
    if (o.latencies) {
      const list = o.latencies.get(`${method} ${route}`) ?? [];
      list.push(performance.now() - started);
      o.latencies.set(`${method} ${route}`, list);
    }
    return answer;
  }
  async function succeeded(key: string, method: string, route: string, path: string, body?: unknown) {
    const { status, body: json } = await call(key, method, route, path, body);
    if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
    return json;
  }
  const keyFor = async (role: string, extra = {}) =>
    (await succeeded(adminKey, 'POST', '/apiKeys', '/api/v1/apiKeys', { role, ...extra })).key as string;
  const agent = await keyFor('agent');
  const billing = await keyFor('billing');
  const backoffice = await keyFor('backoffice', { groups: ['provisioning', 'web-marketing'] });

  const optional = datahost.components.filter((c) => !c.mandatory).map((c) => c.id);
  const orderRequest = (i: number) => ({
    customer: { name: `Bench Customer ${i}`, taxId: `BENCH-${process.pid}-${i}` },
    contact: { name: 'Bench Contact', email: `bench${i}@example.com` },
    items: [{ offeringId: 'datahost', components: optional, configuration: { domainName: `bench${i}.example` } }],
  });
  /** Reads the order until `done`; `polled` is told when each read that did not find it was sent. */
  async function until(id: string, done: (o: any) => boolean, polled: (sentAt: number) => void = () => {}) {
    for (;;) {
      const sentAt = performance.now();
      const { status, body } = await call(agent, 'GET', '/productOrders/:id', `/api/v1/productOrders/${id}`);
      // 404: entry answered 202 and the order is not written yet.
      if (status !== 404) {
        if (status >= 300) throw new Error(`GET /api/v1/productOrders/${id}: ${status} ${JSON.stringify(body)}`);
        if (done(body)) return body;
      }
      polled(sentAt);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  const awaitingAcceptance1 = (o: any) => o.milestones.acceptance1.status === 'inProgress' && o.openTasks.length === 2;

  /** Order i entered and provisioned up to the customer's first acceptance, with its two manual tasks open. */
  async function enterOrder(i: number): Promise<{ id: string; tasks: string[] }> {
    const { id } = await succeeded(agent, 'POST', '/productOrders', '/api/v1/productOrders', orderRequest(i));
    const o = await until(id, awaitingAcceptance1);
    return { id, tasks: o.openTasks.map((t: { id: string }) => t.id) };
  }

  async function oneOrder(i: number): Promise<number> {
    const started = performance.now();
    /** When the order's latest request that had not seen its next step yet was sent: the step came after. */
    let since = started;
    async function command(key: string, route: string, path: string, body: unknown) {
      const sentAt = performance.now();
      const answer = await succeeded(key, 'POST', route, path, body);
      since = sentAt;
      return answer;
    }
    const order = await command(agent, '/productOrders', '/api/v1/productOrders', orderRequest(i));
    const id = order.id as string;
    const reached = (step: OrderStep) => o.onStep?.({ order: i, orderId: id, step, since });
    reached('entered');
    const sinceRead = (sentAt: number) => void (since = sentAt);
    let seen = await until(id, awaitingAcceptance1, sinceRead);
    reached('awaitingAcceptance1');
    const tasks = seen.openTasks.map((t: { id: string }) => t.id) as string[];
    /** The customer accepts the phase; billing acknowledges its RFB once it is sent. */
    async function acceptAndBill(phase: 1 | 2) {
      await command(agent, '/productOrders/:id/acceptance', `/api/v1/productOrders/${id}/acceptance`, { phase, decision: 'accepted' });
      reached(`accepted${phase}`);
      seen = await until(id, (o) => o.readyForBilling.length === phase, sinceRead);
      reached(`rfb${phase}Sent`);
      await command(billing, '/billing/acknowledgements', '/api/v1/billing/acknowledgements', {
        rfbId: seen.readyForBilling[phase - 1].id,
        status: 'accepted',
      });
      reached(`rfb${phase}Acknowledged`);
    }
    await acceptAndBill(1);
    for (const task of tasks) {
      await command(backoffice, '/tasks/:id/start', `/api/v1/tasks/${encodeURIComponent(task)}/start`, {});
      reached('taskStarted');
      await command(backoffice, '/tasks/:id/complete', `/api/v1/tasks/${encodeURIComponent(task)}/complete`, { outcome: { done: true } });
      reached('taskCompleted');
    }
    await until(id, (o) => o.milestones.acceptance2.status === 'inProgress', sinceRead);
    reached('awaitingAcceptance2');
    await acceptAndBill(2);
    await until(id, (o) => o.state === 'completed', sinceRead);
    reached('completed');
    return performance.now() - started;
  }

  return { oneOrder, enterOrder, keyFor, keys: { agent, billing, backoffice } };
}
