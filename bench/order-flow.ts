/**
 * A datahost order (every optional component) through Orquesta's whole flow over HTTP, with the
 * bench as agent, customer, back office and billing; each call's latency kept by route.
 */
import { datahost } from '../catalog/datahost.js';

export async function orderFlow(url: string, adminKey: string, latencies: Map<string, number[]>) {
  async function call(key: string, method: string, route: string, path: string, body?: unknown) {
    const started = performance.now();
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json()) as any;
    const list = latencies.get(`${method} ${route}`) ?? [];
    list.push(performance.now() - started);
    latencies.set(`${method} ${route}`, list);
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }
  const keyFor = async (role: string, extra = {}) =>
    (await call(adminKey, 'POST', '/apiKeys', '/api/v1/apiKeys', { role, ...extra })).key as string;
  const agent = await keyFor('agent');
  const billing = await keyFor('billing');
  const backoffice = await keyFor('backoffice', { groups: ['provisioning', 'web-marketing'] });

  const optional = datahost.components.filter((c) => !c.mandatory).map((c) => c.id);
  async function until(key: string, id: string, done: (o: any) => boolean) {
    for (;;) {
      const o = await call(key, 'GET', '/productOrders/:id', `/api/v1/productOrders/${id}`);
      if (done(o)) return o;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Order i entered and provisioned up to the customer's first acceptance, with its two manual tasks open. */
  async function enterOrder(i: number): Promise<{ id: string; tasks: string[] }> {
    const order = await call(agent, 'POST', '/productOrders', '/api/v1/productOrders', {
      customer: { name: `Bench Customer ${i}`, taxId: `BENCH-${process.pid}-${i}` },
      contact: { name: 'Bench Contact', email: `bench${i}@example.com` },
      items: [{ offeringId: 'datahost', components: optional, configuration: { domainName: `bench${i}.example` } }],
    });
    const id = order.id as string;
    const o = await until(agent, id, (o) => o.milestones.acceptance1.status === 'inProgress' && o.openTasks.length === 2);
    return { id, tasks: o.openTasks.map((t: { id: string }) => t.id) };
  }

  async function oneOrder(i: number): Promise<number> {
    const started = performance.now();
    const { id, tasks } = await enterOrder(i);
    await call(agent, 'POST', '/productOrders/:id/acceptance', `/api/v1/productOrders/${id}/acceptance`, {
      phase: 1,
      decision: 'accepted',
    });
    let o = await until(agent, id, (o) => o.readyForBilling.length === 1);
    await call(billing, 'POST', '/billing/acknowledgements', '/api/v1/billing/acknowledgements', {
      rfbId: o.readyForBilling[0].id,
      status: 'accepted',
    });
    for (const task of tasks) {
      await call(backoffice, 'POST', '/tasks/:id/start', `/api/v1/tasks/${encodeURIComponent(task)}/start`, {});
      await call(backoffice, 'POST', '/tasks/:id/complete', `/api/v1/tasks/${encodeURIComponent(task)}/complete`, {
        outcome: { done: true },
      });
    }
    await until(agent, id, (o) => o.milestones.acceptance2.status === 'inProgress');
    await call(agent, 'POST', '/productOrders/:id/acceptance', `/api/v1/productOrders/${id}/acceptance`, {
      phase: 2,
      decision: 'accepted',
    });
    o = await until(agent, id, (o) => o.readyForBilling.length === 2);
    await call(billing, 'POST', '/billing/acknowledgements', '/api/v1/billing/acknowledgements', {
      rfbId: o.readyForBilling[1].id,
      status: 'accepted',
    });
    await until(agent, id, (o) => o.state === 'completed');
    return performance.now() - started;
  }

  return { oneOrder, enterOrder, keyFor, keys: { agent, billing, backoffice } };
}
