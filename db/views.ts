/**
 * Read models as the API shows them (typed by domain/views.ts), loaded in one place, and the list
 * queries behind every GET that pages: each list answers one page and the total.
 */
import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { durationMs } from '../domain/cases.js';
import { elapsedMs, whenElapsed } from '../domain/sla.js';
import {
  milestoneNames,
  openTaskStatuses,
  type CaseKind,
  type CaseSeverity,
  type CaseStatus,
  type OrderState,
  type RfbStatus,
  type ServiceState,
  type TaskKind,
  type TaskStatus,
  type NoticeResponse,
  type RecallStatus,
} from '../domain/vocabulary.js';
import type {
  CancelRequestView,
  CaseView,
  NotificationView,
  OrderView,
  ReadyForBilling,
  RfbView,
  ServiceView,
  TaskView,
  RecallNoticeView,
  RecallReportView,
  RecallView,
} from '../domain/views.js';
import { effectiveness } from '../domain/recalls.js';
import { countRecall } from './recalls.js';
import type { Db } from './client.js';
import {
  calendars,
  cancelRequests,
  caseEvents,
  cases,
  notifications,
  orderItems,
  productOrders,
  recallNotices,
  recallReports,
  recallResponses,
  recalls,
  rfbs,
  serviceInstances,
  taskEvents,
  tasks,
} from './schema.js';

export interface Page {
  limit: number;
  offset: number;
}
export interface PageOf<T> {
  items: T[];
  total: number;
}

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);
const money = (cents: number) => Math.round(cents) / 100;
/** A row's one-time and recurring prices, kept in cents, shown in units. */
export const priceOf = (row: { oneTimeCents: number; recurringCents: number }) => ({
  oneTime: money(row.oneTimeCents),
  recurring: money(row.recurringCents),
});

/** A page of rows and, in parallel, how many rows match in all. */
async function pageOf<R>(db: Db, table: PgTable, where: SQL | undefined, rows: PromiseLike<R[]>): Promise<PageOf<R>> {
  const [items, total] = await Promise.all([rows, db.$count(table, where)]);
  return { items, total };
}

/** A page of read models: one page of ids in the list's order, loaded, and how many match in all. */
async function pageOfViews<V>(
  db: Db,
  table: PgTable,
  where: SQL | undefined,
  ids: PromiseLike<{ id: string }[]>,
  load: (db: Db, ids: string[]) => Promise<V[]>,
): Promise<PageOf<V>> {
  const found = await pageOf(db, table, where, ids);
  return {
    items: await load(
      db,
      found.items.map((r) => r.id),
    ),
    total: found.total,
  };
}

// ---------------------------------------------------------------- tasks

export async function loadTaskViews(db: Db, ids: string[]): Promise<TaskView[]> {
  if (ids.length === 0) return [];
  const [rows, events] = await Promise.all([
    db.select().from(tasks).where(inArray(tasks.id, ids)),
    db.select().from(taskEvents).where(inArray(taskEvents.taskId, ids)).orderBy(asc(taskEvents.at), asc(taskEvents.id)),
  ]);
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
      version: t.version,
      priority: t.priority,
      title: t.title,
      dueAt: isoOrNull(t.dueAt),
      input: t.input as Record<string, unknown>,
      outcome: t.outcome as Record<string, unknown> | null,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      events: events
        .filter((e) => e.taskId === t.id)
        .map((e) => ({ action: e.action, actor: e.actor, at: iso(e.at), details: e.details as Record<string, unknown> | null })),
    }));
}

export async function loadTaskView(db: Db, id: string): Promise<TaskView | undefined> {
  return (await loadTaskViews(db, [id]))[0];
}

export interface TaskFilter {
  status?: TaskStatus;
  group?: string;
  kind?: TaskKind;
  assignee?: string;
  subjectId?: string;
  /** A back-office key sees only its own groups' tasks. */
  onlyGroups?: string[];
}

/** The inbox, most urgent first. */
export async function listTasks(db: Db, f: TaskFilter, page: Page): Promise<PageOf<TaskView>> {
  const where = and(
    f.status ? eq(tasks.status, f.status) : undefined,
    f.group ? eq(tasks.group, f.group) : undefined,
    f.kind ? eq(tasks.kind, f.kind) : undefined,
    f.assignee ? eq(tasks.assignee, f.assignee) : undefined,
    f.subjectId ? eq(tasks.subjectId, f.subjectId) : undefined,
    f.onlyGroups ? inArray(tasks.group, f.onlyGroups.length ? f.onlyGroups : ['']) : undefined,
  );
  const ids = db.select({ id: tasks.id }).from(tasks).where(where).orderBy(asc(tasks.priority), asc(tasks.dueAt), asc(tasks.id));
  return pageOfViews(db, tasks, where, ids.limit(page.limit).offset(page.offset), loadTaskViews);
}

// ---------------------------------------------------------------- orders

/** Order views in the order of `ids`, with five queries however many orders. */
/** A timestamp as JavaScript writes it (UTC, milliseconds, Z), for read models assembled in one statement. */
const isoText = (column: AnyPgColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The rows of `table` that belong to the order in the outer query, as a JSON array in `order`. */
const jsonRows = <T>(fields: Record<string, AnyPgColumn | SQL>, table: PgTable, where: SQL, order: SQL) =>
  sql<T[]>`coalesce((select json_agg(json_build_object(${sql.join(
    Object.entries(fields).map(([name, value]) => sql`${name}::text, ${value}`),
    sql`, `,
  )}) order by ${order}) from ${table} where ${where}), '[]'::json)`;

export async function loadOrderViews(db: Db, ids: string[]): Promise<OrderView[]> {
  if (ids.length === 0) return [];
  // One statement for an order and all it shows: the API's most frequent read (clients poll it).
  const rows = await db
    .select({
      order: productOrders,
      items: jsonRows<Omit<typeof orderItems.$inferSelect, 'orderId' | 'position' | 'base' | 'components'>>(
        {
          id: orderItems.id,
          offeringId: orderItems.offeringId,
          quantity: orderItems.quantity,
          componentIds: orderItems.componentIds,
          configuration: orderItems.configuration,
          oneTimeCents: orderItems.oneTimeCents,
          recurringCents: orderItems.recurringCents,
        },
        orderItems,
        sql`${orderItems.orderId} = ${productOrders.id}`,
        sql`${orderItems.position}`,
      ),
      rfbs: jsonRows<{ id: string; phase: number; status: RfbStatus; sentAt: string; acknowledgedAt: string | null }>(
        { id: rfbs.id, phase: rfbs.phase, status: rfbs.status, sentAt: isoText(rfbs.sentAt), acknowledgedAt: isoText(rfbs.acknowledgedAt) },
        rfbs,
        sql`${rfbs.orderId} = ${productOrders.id}`,
        sql`${rfbs.sentAt}`,
      ),
      openTasks: jsonRows<{
        id: string;
        kind: TaskKind;
        group: string;
        status: TaskStatus;
        assignee: string | null;
        title: string;
        dueAt: string | null;
      }>(
        {
          id: tasks.id,
          kind: tasks.kind,
          group: tasks.group,
          status: tasks.status,
          assignee: tasks.assignee,
          title: tasks.title,
          dueAt: isoText(tasks.dueAt),
        },
        tasks,
        sql`${tasks.subjectType} = 'order' and ${tasks.subjectId} = ${productOrders.id} and ${inArray(tasks.status, [...openTaskStatuses])}`,
        sql`${tasks.id}`,
      ),
      services: jsonRows<{ id: string; componentId: string; state: ServiceState }>(
        { id: serviceInstances.id, componentId: serviceInstances.componentId, state: serviceInstances.state },
        serviceInstances,
        sql`${serviceInstances.orderId} = ${productOrders.id}`,
        sql`${serviceInstances.id}`,
      ),
    })
    .from(productOrders)
    .where(inArray(productOrders.id, ids));
  const byId = new Map(rows.map((r) => [r.order.id, r]));
  return ids
    .map((id) => byId.get(id))
    .filter((r) => r !== undefined)
    .map(({ order, items, rfbs: orderRfbs, openTasks, services }) => ({
      id: order.id,
      externalId: order.externalId,
      customerId: order.customerId,
      contactId: order.contactId,
      state: order.state,
      currency: order.currency,
      totals: priceOf(order),
      items: items.map((i) => ({
        id: i.id,
        offeringId: i.offeringId,
        quantity: i.quantity,
        componentIds: i.componentIds,
        configuration: i.configuration,
        price: priceOf(i),
      })),
      // jsonb does not keep key order; show milestones in process order.
      milestones: Object.fromEntries(milestoneNames.map((name) => [name, order.milestones[name]])) as OrderView['milestones'],
      openTasks,
      readyForBilling: orderRfbs,
      billing: { billingAccountId: order.billingAccountId, cycleStartDate: order.billingStartDate, cycleEndDate: order.billingEndDate },
      services,
      submittedAt: iso(order.submittedAt),
      completedAt: isoOrNull(order.completedAt),
    }));
}

export async function loadOrderView(db: Db, orderId: string): Promise<OrderView | undefined> {
  return (await loadOrderViews(db, [orderId]))[0];
}

/** Orders, newest first. */
export async function listOrders(db: Db, f: { state?: OrderState; customerId?: string }, page: Page): Promise<PageOf<OrderView>> {
  const where = and(
    f.state ? eq(productOrders.state, f.state) : undefined,
    f.customerId ? eq(productOrders.customerId, f.customerId) : undefined,
  );
  const ids = db
    .select({ id: productOrders.id })
    .from(productOrders)
    .where(where)
    .orderBy(desc(productOrders.submittedAt), desc(productOrders.id));
  return pageOfViews(db, productOrders, where, ids.limit(page.limit).offset(page.offset), loadOrderViews);
}

// ---------------------------------------------------------------- billing, services, notifications

const rfbViewOf = (r: typeof rfbs.$inferSelect): RfbView => ({
  ...r,
  payload: r.payload as ReadyForBilling,
  sentAt: iso(r.sentAt),
  acknowledgedAt: isoOrNull(r.acknowledgedAt),
});

export async function loadRfbView(db: Db, id: string): Promise<RfbView | undefined> {
  const [row] = await db.select().from(rfbs).where(eq(rfbs.id, id));
  return row && rfbViewOf(row);
}

export async function listRfbs(db: Db, f: { status?: RfbStatus }, page: Page): Promise<PageOf<RfbView>> {
  const where = f.status ? eq(rfbs.status, f.status) : undefined;
  const rows = db.select().from(rfbs).where(where).orderBy(asc(rfbs.sentAt), asc(rfbs.id));
  const found = await pageOf(db, rfbs, where, rows.limit(page.limit).offset(page.offset));
  return { items: found.items.map(rfbViewOf), total: found.total };
}

export async function listServices(
  db: Db,
  f: { customerId?: string; orderId?: string; state?: ServiceState },
  page: Page,
): Promise<PageOf<ServiceView>> {
  const where = and(
    f.customerId ? eq(serviceInstances.customerId, f.customerId) : undefined,
    f.orderId ? eq(serviceInstances.orderId, f.orderId) : undefined,
    f.state ? eq(serviceInstances.state, f.state) : undefined,
  );
  const rows = db.select().from(serviceInstances).where(where).orderBy(asc(serviceInstances.id));
  const found = await pageOf(db, serviceInstances, where, rows.limit(page.limit).offset(page.offset));
  return {
    items: found.items.map((s) => ({
      id: s.id,
      orderId: s.orderId,
      customerId: s.customerId,
      offeringId: s.offeringId,
      componentId: s.componentId,
      state: s.state,
      activatedAt: isoOrNull(s.activatedAt),
    })),
    total: found.total,
  };
}

export async function listNotifications(
  db: Db,
  f: { recipient?: string; among?: string[]; subjectId?: string; kind?: string },
  page: Page,
): Promise<PageOf<NotificationView>> {
  const where = and(
    f.recipient ? eq(notifications.recipient, f.recipient) : undefined,
    f.among ? inArray(notifications.recipient, f.among) : undefined,
    f.subjectId ? eq(notifications.subjectId, f.subjectId) : undefined,
    f.kind ? eq(notifications.kind, f.kind) : undefined,
  );
  const rows = db.select().from(notifications).where(where).orderBy(asc(notifications.createdAt), asc(notifications.id));
  const found = await pageOf(db, notifications, where, rows.limit(page.limit).offset(page.offset));
  return { items: found.items.map((n) => ({ ...n, createdAt: iso(n.createdAt) })), total: found.total };
}

// ---------------------------------------------------------------- cancel requests

/** An order's cancel request, by its own id or by the order's. */
export async function loadCancelRequest(db: Db, by: { id: string } | { orderId: string }): Promise<CancelRequestView | undefined> {
  const where = 'id' in by ? eq(cancelRequests.id, by.id) : eq(cancelRequests.orderId, by.orderId);
  const [r] = await db.select().from(cancelRequests).where(where);
  return (
    r && {
      id: r.id,
      productOrder: { id: r.orderId },
      cancellationReason: r.reason,
      requestedBy: r.requestedBy,
      state: r.state,
      error: r.error,
      requestedAt: iso(r.createdAt),
      completedAt: isoOrNull(r.completedAt),
    }
  );
}

// ---------------------------------------------------------------- cases

export async function loadCaseViews(db: Db, ids: string[]): Promise<CaseView[]> {
  if (ids.length === 0) return [];
  const [rows, events, open, calendarRows] = await Promise.all([
    db.select().from(cases).where(inArray(cases.id, ids)),
    db.select().from(caseEvents).where(inArray(caseEvents.caseId, ids)).orderBy(asc(caseEvents.at), asc(caseEvents.id)),
    db
      .select({ id: tasks.id, subjectId: tasks.subjectId, group: tasks.group, assignee: tasks.assignee, status: tasks.status })
      .from(tasks)
      .where(and(eq(tasks.subjectType, 'case'), inArray(tasks.subjectId, ids), inArray(tasks.status, ['opened', 'inProgress']))),
    db.select().from(calendars),
  ]);
  const now = Date.now();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const history = events.filter((e) => e.caseId === id);
    const task = open.find((t) => t.subjectId === id);
    return [
      {
        id: r.id,
        kind: r.kind,
        origin: r.origin,
        channel: r.channel,
        severity: r.severity,
        customerId: r.customerId,
        contactId: r.contactId,
        productId: r.productId,
        symptom: r.symptom,
        relatedOrderId: r.relatedOrderId,
        invoiceId: r.invoiceId,
        description: r.description,
        status: r.status,
        ownerGroup: r.ownerGroup,
        openTask: task ? { id: task.id, group: task.group, assignee: task.assignee, status: task.status } : null,
        escalationLevel: r.escalationLevel,
        escalations: r.escalations,
        escalationRule: r.escalationRule,
        triage: r.triage,
        resolution: r.resolution,
        sla: r.sla.map((c) => {
          const calendar = calendarRows.find((k) => k.id === c.calendarId)!;
          const due = whenElapsed(c, calendar, durationMs(c.target)!);
          return {
            metric: c.metric,
            target: c.target,
            level: c.level,
            calendarId: c.calendarId,
            running: c.runningSince !== null,
            elapsedMs: elapsedMs(c, calendar, now),
            pausedMs: c.pausedMs + (c.pausedSince ? now - Date.parse(c.pausedSince) : 0),
            due: due === null ? null : iso(new Date(due)),
            warnings: c.warnings,
            result: c.result,
            breachedAt: c.breachedAt,
            stoppedAt: c.stoppedAt,
          };
        }),
        satisfaction: r.satisfaction,
        notes: history.filter((e) => e.kind === 'note').map((e) => ({ text: String(e.details.text), by: e.actor, at: iso(e.at) })),
        history: history.map((e) => ({ kind: e.kind, at: iso(e.at), actor: e.actor, details: e.details })),
        createdAt: iso(r.createdAt),
        updatedAt: iso(r.updatedAt),
        resolvedAt: isoOrNull(r.resolvedAt),
        closedAt: isoOrNull(r.closedAt),
      },
    ];
  });
}

export async function loadCaseView(db: Db, id: string): Promise<CaseView | undefined> {
  return (await loadCaseViews(db, [id]))[0];
}

export interface CaseFilter {
  status?: CaseStatus;
  kind?: CaseKind;
  group?: string;
  customerId?: string;
  severity?: CaseSeverity;
}

export async function listCases(db: Db, f: CaseFilter, page: Page): Promise<PageOf<CaseView>> {
  const where = and(
    f.status ? eq(cases.status, f.status) : undefined,
    f.kind ? eq(cases.kind, f.kind) : undefined,
    f.group ? eq(cases.ownerGroup, f.group) : undefined,
    f.customerId ? eq(cases.customerId, f.customerId) : undefined,
    f.severity ? eq(cases.severity, f.severity) : undefined,
  );
  const ids = db.select({ id: cases.id }).from(cases).where(where).orderBy(desc(cases.createdAt), asc(cases.id));
  return pageOfViews(db, cases, where, ids.limit(page.limit).offset(page.offset), loadCaseViews);
}

export async function loadRecallView(db: Db, id: string): Promise<RecallView | undefined> {
  const [r] = await db.select().from(recalls).where(eq(recalls.id, id));
  if (!r) return undefined;
  const [counts, open] = await Promise.all([
    countRecall(db, id, r.affected),
    db
      .select({ id: tasks.id, kind: tasks.kind, group: tasks.group, assignee: tasks.assignee, status: tasks.status })
      .from(tasks)
      .where(and(eq(tasks.subjectType, 'recall'), eq(tasks.subjectId, id), inArray(tasks.status, [...openTaskStatuses])))
      .orderBy(asc(tasks.createdAt)),
  ]);
  const rule = r.classRule;
  return {
    id: r.id,
    productId: r.productId,
    componentId: r.componentId,
    reason: r.reason,
    hazard: r.hazard,
    instructions: r.instructions,
    scope: r.scope,
    status: r.status,
    recallClass: r.recallClass,
    assessment: r.assessment,
    terms: rule
      ? {
          effectivenessLevel: rule.effectivenessLevel,
          effectivenessTargetPercent: rule.effectivenessTargetPercent,
          noticeUrgency: rule.noticeUrgency,
          reminderEvery: rule.reminderEvery,
          reportEvery: rule.reportEvery,
        }
      : null,
    counts,
    affectedInstances: r.quantity,
    effectiveness: effectiveness(counts, rule?.effectivenessTargetPercent ?? null),
    openTasks: open,
    notifyingFrom: isoOrNull(r.notifyingFrom),
    notifiedAt: isoOrNull(r.notifiedAt),
    nextReminderAt: isoOrNull(r.nextReminderAt),
    nextReportAt: isoOrNull(r.nextReportAt),
    termination: r.termination,
    terminatedAt: isoOrNull(r.terminatedAt),
    cancellation: r.cancellation,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export async function listRecalls(db: Db, f: { status?: RecallStatus; productId?: string }, page: Page): Promise<PageOf<RecallView>> {
  const where = and(f.status ? eq(recalls.status, f.status) : undefined, f.productId ? eq(recalls.productId, f.productId) : undefined);
  const ids = db.select({ id: recalls.id }).from(recalls).where(where).orderBy(desc(recalls.createdAt), asc(recalls.id));
  return pageOfViews(db, recalls, where, ids.limit(page.limit).offset(page.offset), async (d, list) =>
    (await Promise.all(list.map((id) => loadRecallView(d, id)))).filter((v): v is RecallView => v !== undefined),
  );
}

/** A recall's notices in party order, each with its answers; a customer's own only when `customerId` is given. */
export async function listRecallNotices(
  db: Db,
  recallId: string,
  f: { customerId?: string; response?: NoticeResponse | 'none' },
  page: Page,
): Promise<PageOf<RecallNoticeView>> {
  const where = and(
    eq(recallNotices.recallId, recallId),
    f.customerId ? eq(recallNotices.customerId, f.customerId) : undefined,
    f.response === 'none' ? isNull(recallNotices.response) : f.response ? eq(recallNotices.response, f.response) : undefined,
  );
  const found = await pageOf(
    db,
    recallNotices,
    where,
    db.select().from(recallNotices).where(where).orderBy(asc(recallNotices.customerId)).limit(page.limit).offset(page.offset),
  );
  const answers = found.items.length
    ? await db
        .select()
        .from(recallResponses)
        .where(
          inArray(
            recallResponses.noticeId,
            found.items.map((n) => n.id),
          ),
        )
        .orderBy(asc(recallResponses.at))
    : [];
  return {
    total: found.total,
    items: found.items.map((n) => ({
      id: n.id,
      recallId: n.recallId,
      customerId: n.customerId,
      quantity: n.quantity,
      method: n.method,
      sentAt: isoOrNull(n.sentAt),
      reminders: n.reminders,
      lastRemindedAt: isoOrNull(n.lastRemindedAt),
      retractedAt: isoOrNull(n.retractedAt),
      response: n.response,
      respondedAt: isoOrNull(n.respondedAt),
      responses: answers
        .filter((a) => a.noticeId === n.id)
        .map((a) => ({ response: a.response, quantity: a.quantity, by: a.by, at: iso(a.at) })),
    })),
  };
}

export async function listRecallReports(db: Db, recallId: string, page: Page): Promise<PageOf<RecallReportView>> {
  const where = eq(recallReports.recallId, recallId);
  const found = await pageOf(
    db,
    recallReports,
    where,
    db.select().from(recallReports).where(where).orderBy(asc(recallReports.number)).limit(page.limit).offset(page.offset),
  );
  return {
    total: found.total,
    items: found.items.map((r) => ({
      id: r.id,
      recallId: r.recallId,
      number: r.number,
      final: r.final,
      at: iso(r.at),
      filedAt: isoOrNull(r.filedAt),
      regulatorReference: r.regulatorReference,
      figures: r.figures,
    })),
  };
}
