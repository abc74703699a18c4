/**
 * Read models as the API shows them, loaded in one place: the API's GETs and the activities
 * that answer updates (so an update's answer is exactly what a GET shows right after).
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { TaskView } from '../workflows/inbox.contract.js';
import { milestoneNames } from '../workflows/order.contract.js';
import type { Db } from './client.js';
import { orderItems, productOrders, rfbs, serviceInstances, taskEvents, tasks } from './schema.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const money = (cents: number) => Math.round(cents) / 100;
/** A row's one-time and recurring prices, kept in cents, shown in units. */
export const priceOf = (row: { oneTimeCents: number; recurringCents: number }) => ({ oneTime: money(row.oneTimeCents), recurring: money(row.recurringCents) });

export async function loadTaskViews(db: Db, ids: string[]): Promise<TaskView[]> {
  if (ids.length === 0) return [];
  const rows = await db.select().from(tasks).where(inArray(tasks.id, ids));
  const events = await db.select().from(taskEvents).where(inArray(taskEvents.taskId, ids)).orderBy(asc(taskEvents.at), asc(taskEvents.id));
  const byId = new Map(rows.map((t) => [t.id, t]));
  return ids
    .map((id) => byId.get(id))
    .filter((t) => t !== undefined)
    .map((t) => ({
      id: t.id,
      kind: t.kind,
      subjectType: t.subjectType,
      subjectId: t.subjectId,
      group: t.group,
      assignee: t.assignee,
      status: t.status,
      priority: t.priority,
      title: t.title,
      dueAt: iso(t.dueAt),
      input: t.input,
      outcome: t.outcome,
      createdAt: iso(t.createdAt)!,
      updatedAt: iso(t.updatedAt)!,
      events: events.filter((e) => e.taskId === t.id).map((e) => ({ action: e.action, actor: e.actor, at: iso(e.at)!, details: e.details })),
    }));
}

export async function loadTaskView(db: Db, id: string): Promise<TaskView | undefined> {
  return (await loadTaskViews(db, [id]))[0];
}

/** Order views in the order of `ids`, with five queries however many orders. */
export async function loadOrderViews(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  const [orders, items, orderRfbs, openTasks, services] = await Promise.all([
    db.select().from(productOrders).where(inArray(productOrders.id, ids)),
    db.select().from(orderItems).where(inArray(orderItems.orderId, ids)).orderBy(asc(orderItems.position)),
    db.select().from(rfbs).where(inArray(rfbs.orderId, ids)).orderBy(asc(rfbs.sentAt)),
    db
      .select({ subjectId: tasks.subjectId, id: tasks.id, kind: tasks.kind, group: tasks.group, status: tasks.status, assignee: tasks.assignee, title: tasks.title, dueAt: tasks.dueAt })
      .from(tasks)
      .where(and(eq(tasks.subjectType, 'order'), inArray(tasks.subjectId, ids), inArray(tasks.status, ['opened', 'inProgress'])))
      .orderBy(asc(tasks.id)),
    db
      .select({ orderId: serviceInstances.orderId, id: serviceInstances.id, componentId: serviceInstances.componentId, state: serviceInstances.state })
      .from(serviceInstances)
      .where(inArray(serviceInstances.orderId, ids))
      .orderBy(asc(serviceInstances.id)),
  ]);
  const byId = new Map(orders.map((o) => [o.id, o]));
  return ids
    .map((id) => byId.get(id))
    .filter((o) => o !== undefined)
    .map((order) => ({
      id: order.id,
      externalId: order.externalId,
      customerId: order.customerId,
      contactId: order.contactId,
      state: order.state,
      currency: order.currency,
      totals: priceOf(order),
      items: items
        .filter((i) => i.orderId === order.id)
        .map((i) => ({
          id: i.id,
          offeringId: i.offeringId,
          quantity: i.quantity,
          componentIds: i.componentIds,
          configuration: i.configuration,
          price: priceOf(i),
        })),
      // jsonb does not keep key order; show milestones in process order.
      milestones: Object.fromEntries(milestoneNames.map((name) => [name, order.milestones[name]])),
      openTasks: openTasks.filter((t) => t.subjectId === order.id).map(({ subjectId: _, ...t }) => ({ ...t, dueAt: iso(t.dueAt) })),
      readyForBilling: orderRfbs
        .filter((r) => r.orderId === order.id)
        .map((r) => ({ id: r.id, phase: r.phase, status: r.status, sentAt: iso(r.sentAt)!, acknowledgedAt: iso(r.acknowledgedAt) })),
      billing: { billingAccountId: order.billingAccountId, cycleStartDate: order.billingStartDate },
      services: services.filter((v) => v.orderId === order.id).map(({ orderId: _, ...v }) => v),
      submittedAt: iso(order.submittedAt)!,
      completedAt: iso(order.completedAt),
    }));
}

export async function loadOrderView(db: Db, orderId: string) {
  return (await loadOrderViews(db, [orderId]))[0];
}
export type OrderView = NonNullable<Awaited<ReturnType<typeof loadOrderView>>>;
