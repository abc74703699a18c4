/**
 * The rows a recall workflow owns and the calls it makes outside: the recall and its parties,
 * the notices (and reminders, retractions) in heartbeating batches, and the regulator's reports.
 * Every message and report carries an id derived from the recall, written before it is sent and
 * deduped by the system that receives it: a retried batch or a killed worker sends nothing twice.
 */
import { Context } from '@temporalio/activity';
import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { bulkTransaction, type Db } from '../db/client.js';
import { affectedInstances, countRecall } from '../db/recalls.js';
import {
  contacts,
  products,
  productComponents,
  recallClassRules,
  recallNotices,
  recallParties,
  recallReports,
  recallResponses,
  recalls,
  serviceInstances,
} from '../db/schema.js';
import type { SubmitRecall } from '../domain/recall-commands.js';
import { checksDone, effectiveness, estimatedCompletion, type RecallClassRule, type RecallCounts } from '../domain/recalls.js';
import type { RecallClass, RecallMessageKind, RecallStatus } from '../domain/vocabulary.js';
import type { NotificationSystem, RecallMessage } from './adapters/notification.js';
import type { Regulator } from './adapters/regulator.js';
import { conflictIsFinal, whileDatabaseDown } from './database.js';
import { heartbeating } from './heartbeat.js';

/** What the recall is, once it is recorded: the workflow goes by these. */
export interface RecallTerms {
  affected: number;
  quantity: number;
}

export interface RecallChange {
  recallId: string;
  /** On the workflow's clock. */
  at: string;
  status?: RecallStatus;
  assessment?: (typeof recalls.$inferSelect)['assessment'];
  classRule?: RecallClassRule;
  notifyingFrom?: string;
  notifiedAt?: string;
  nextReminderAt?: string | null;
  nextReportAt?: string | null;
  termination?: (typeof recalls.$inferSelect)['termination'];
  terminatedAt?: string;
  cancellation?: (typeof recalls.$inferSelect)['cancellation'];
}

export interface MessageBatch {
  recallId: string;
  kind: RecallMessageKind;
  /** Reminders: the round (1 for the first reminder); a party gets one reminder per round. */
  round?: number;
  /** The last customer id the previous batch reached: batches walk the parties in id order. */
  after: string | null;
  /** Parties this activity takes before it hands back (`partiesPerActivity` when unset). */
  parties?: number;
}

/** Parties a batch takes in one call to the notification system. */
const messagesPerCall = 500;
/** Parties one activity takes before it hands back to the workflow (which keeps its history short). */
const partiesPerActivity = 5_000;

const at = (iso: string | undefined | null) => (iso ? new Date(iso) : iso === null ? null : undefined);

export function recallActivities(db: Db, notification: NotificationSystem, regulator: Regulator) {
  return {
    /**
     * Initiation: the recall written (initiated) with every party holding an affected instance,
     * found in one statement. Idempotent: a recall written before answers what it found then.
     */
    async recordRecall(s: SubmitRecall, enteredAt: string): Promise<RecallTerms> {
      return conflictIsFinal(
        () =>
          // Every party in one statement: a large recall's takes longer than a request may wait.
          bulkTransaction(db, async (tx) => {
            const [existing] = await tx
              .select({ affected: recalls.affected, quantity: recalls.quantity })
              .from(recalls)
              .where(eq(recalls.id, s.recallId));
            if (existing) return existing;
            const now = new Date(enteredAt);
            await tx.insert(recalls).values({
              id: s.recallId,
              productId: s.productId,
              componentId: s.componentId ?? null,
              reason: s.reason,
              hazard: s.hazard,
              instructions: s.instructions,
              scope: s.scope,
              status: 'initiated',
              requestHash: s.requestHash,
              idempotencyKey: s.idempotencyKey,
              createdBy: s.createdBy,
              createdAt: now,
              updatedAt: now,
            });
            await tx.insert(recallParties).select(
              tx
                .select({
                  recallId: sql<string>`${s.recallId}::text`.as('recall_id'),
                  customerId: serviceInstances.customerId,
                  serviceIds: sql<string[]>`array_agg(${serviceInstances.id} order by ${serviceInstances.id})`.as('service_ids'),
                  quantity: sql<number>`count(*)::int`.as('quantity'),
                })
                .from(serviceInstances)
                .where(affectedInstances(s))
                .groupBy(serviceInstances.customerId),
            );
            const [found] = await tx
              .select({ affected: sql<number>`count(*)::int`, quantity: sql<number>`coalesce(sum(${recallParties.quantity}), 0)::int` })
              .from(recallParties)
              .where(eq(recallParties.recallId, s.recallId));
            await tx.update(recalls).set(found!).where(eq(recalls.id, s.recallId));
            return found!;
          }),
        `Recall ${s.recallId}`,
        'RECALL_CONFLICT',
      );
    },

    /** One change of the recall row; setting the same values again changes nothing. */
    async recordRecallChange(c: RecallChange): Promise<void> {
      await db
        .update(recalls)
        .set({
          updatedAt: new Date(c.at),
          ...(c.status ? { status: c.status } : {}),
          ...(c.assessment ? { assessment: c.assessment, recallClass: c.assessment.class } : {}),
          ...(c.classRule ? { classRule: c.classRule } : {}),
          ...(c.notifyingFrom ? { notifyingFrom: new Date(c.notifyingFrom) } : {}),
          ...(c.notifiedAt ? { notifiedAt: new Date(c.notifiedAt) } : {}),
          ...(c.nextReminderAt !== undefined ? { nextReminderAt: at(c.nextReminderAt) } : {}),
          ...(c.nextReportAt !== undefined ? { nextReportAt: at(c.nextReportAt) } : {}),
          ...(c.termination !== undefined ? { termination: c.termination } : {}),
          ...(c.terminatedAt ? { terminatedAt: new Date(c.terminatedAt) } : {}),
          ...(c.cancellation ? { cancellation: c.cancellation } : {}),
        })
        .where(eq(recalls.id, c.recallId));
    },

    /** A class's terms as the table has them now; the recall keeps them from its assessment on. */
    async recallClassRule(recallClass: RecallClass): Promise<RecallClassRule> {
      const [row] = await db.select().from(recallClassRules).where(eq(recallClassRules.recallClass, recallClass));
      if (!row) throw new Error(`recall class ${recallClass} is missing from recall_classes (seeded at start)`);
      const { updatedBy: _by, updatedAt: _at, ...rule } = row;
      return rule;
    },

    async recallCounts(recallId: string, affected: number): Promise<RecallCounts> {
      return countRecall(db, recallId, affected);
    },

    /**
     * Sends the next messages of a kind, in calls of a few hundred, until a few thousand parties
     * are done or none is left. Each message's row is written before the call and marked once the
     * system took it; a row left unmarked by a crash is sent again under the same id. Heartbeats
     * carry the last party reached, so a retry goes on from there.
     */
    async sendRecallMessages(b: MessageBatch): Promise<{ sent: number; after: string | null; done: boolean }> {
      const context = Context.current();
      let after = (context.info.heartbeatDetails as string | null | undefined) ?? b.after;
      const [recall] = await whileDatabaseDown(() => db.select().from(recalls).where(eq(recalls.id, b.recallId)));
      if (!recall) throw new Error(`no recall ${b.recallId}`);
      const content = await messageContent(db, recall);
      let sent = 0;
      // Beats while a call is slow too, each time with the last party fully done.
      const beating = setInterval(() => context.heartbeat(after), 1_000);
      try {
        for (let reached = 0; reached < (b.parties ?? partiesPerActivity);) {
          // A recall cancelled meanwhile sends no more notices or reminders: the call in flight was the last.
          if (b.kind !== 'retraction' && (await whileDatabaseDown(() => statusOf(db, b.recallId))) === 'cancelled')
            return { sent, after, done: false };
          const due = await whileDatabaseDown(() => dueMessages(db, b, after));
          if (due.length === 0) return { sent, after, done: true };
          reached += due.length;
          const lastReached = due.at(-1)!.customerId;
          const pending = due.filter((d) => d.pending);
          if (pending.length > 0) {
            const now = new Date();
            if (b.kind === 'notice')
              await whileDatabaseDown(() =>
                db
                  .insert(recallNotices)
                  .values(
                    pending.map((d) => ({
                      id: d.noticeId,
                      recallId: b.recallId,
                      customerId: d.customerId,
                      quantity: d.quantity,
                      createdAt: now,
                    })),
                  )
                  .onConflictDoNothing(),
              );
            const messages: RecallMessage[] = pending.map((d) => ({
              id: messageId(d.noticeId, b),
              kind: b.kind,
              recallId: b.recallId,
              noticeId: d.noticeId,
              customerId: d.customerId,
              email: d.email,
              urgency: content.urgency,
              subject: content.subject[b.kind],
              body: content.body[b.kind],
            }));
            const delivered = await notification.send(messages);
            // Matched by message id, whatever order the system answers in.
            const noticeOf = new Map(messages.map((m) => [m.id, m.noticeId]));
            const byMethod = new Map<string, string[]>();
            for (const d of delivered) {
              const noticeId = noticeOf.get(d.id);
              if (!noticeId) continue;
              const ids = byMethod.get(d.method) ?? [];
              ids.push(noticeId);
              byMethod.set(d.method, ids);
            }
            for (const [method, ids] of byMethod) await whileDatabaseDown(() => markSent(db, b, ids, method, new Date()));
            const taken = new Set([...byMethod.values()].flat());
            sent += taken.size;
            // A message the system did not take (left out, whatever else it repeated) is sent again by
            // the retry, which starts at this call's parties.
            const left = pending.filter((d) => !taken.has(d.noticeId)).length;
            if (left > 0)
              throw new Error(`the notification system did not take ${left} of ${pending.length} messages; they are sent again`);
          }
          after = lastReached;
          context.heartbeat(after);
        }
        return { sent, after, done: false };
      } finally {
        clearInterval(beating);
      }
    },

    /**
     * A status report (or the final one): its figures computed once and kept under its id, then
     * filed with the regulator under that id. A retry files the same report again.
     */
    async fileRecallReport(r: { recallId: string; number: number; final: boolean; at: string }): Promise<RecallCounts> {
      // Beats while the figures are counted and the regulator answers, however slowly.
      return heartbeating(async () => {
        const id = `${r.recallId}:report:${r.number}`;
        const [recall] = await db.select().from(recalls).where(eq(recalls.id, r.recallId));
        if (!recall) throw new Error(`no recall ${r.recallId}`);
        const counts = await countRecall(db, r.recallId, recall.affected);
        await db
          .insert(recallReports)
          .values({
            id,
            recallId: r.recallId,
            number: r.number,
            final: r.final,
            figures: await reportFigures(db, recall, counts, r.at),
            at: new Date(r.at),
          })
          .onConflictDoNothing();
        const [report] = await db.select().from(recallReports).where(eq(recallReports.id, id));
        if (!report!.filedAt) {
          const { reference } = await regulator.file({
            id,
            recallId: r.recallId,
            number: r.number,
            final: r.final,
            at: r.at,
            figures: report!.figures,
          });
          await db.update(recallReports).set({ filedAt: new Date(), regulatorReference: reference }).where(eq(recallReports.id, id));
        }
        return counts;
      });
    },
  };
}

async function statusOf(db: Db, recallId: string) {
  const [row] = await db.select({ status: recalls.status }).from(recalls).where(eq(recalls.id, recallId));
  return row?.status;
}

const messageId = (noticeId: string, b: MessageBatch) =>
  b.kind === 'notice' ? noticeId : b.kind === 'reminder' ? `${noticeId}:reminder:${b.round}` : `${noticeId}:retraction`;

/**
 * The next parties after `after` (in customer id order) a message of this kind is for, each
 * marked `pending` when its message is still to be sent: notices go to every party, reminders
 * to those notified who have not answered, retractions to everyone notified.
 */
async function dueMessages(db: Db, b: MessageBatch, after: string | null) {
  const email = contactEmail(recallParties.customerId);
  if (b.kind === 'notice') {
    const rows = await db
      .select({ customerId: recallParties.customerId, quantity: recallParties.quantity, email, sentAt: recallNotices.sentAt })
      .from(recallParties)
      .leftJoin(
        recallNotices,
        and(eq(recallNotices.recallId, recallParties.recallId), eq(recallNotices.customerId, recallParties.customerId)),
      )
      .where(and(eq(recallParties.recallId, b.recallId), after === null ? undefined : gt(recallParties.customerId, after)))
      .orderBy(asc(recallParties.customerId))
      .limit(Math.min(messagesPerCall, b.parties ?? partiesPerActivity));
    return rows.map((r) => ({ ...r, noticeId: `${b.recallId}:${r.customerId}`, pending: r.sentAt === null }));
  }
  const rows = await db
    .select({
      customerId: recallNotices.customerId,
      noticeId: recallNotices.id,
      quantity: recallNotices.quantity,
      email: contactEmail(recallNotices.customerId),
      pending:
        b.kind === 'reminder'
          ? sql<boolean>`${recallNotices.response} is null and ${recallNotices.reminders} < ${b.round!}`
          : sql<boolean>`${recallNotices.retractedAt} is null`,
    })
    .from(recallNotices)
    .where(
      and(
        eq(recallNotices.recallId, b.recallId),
        // A retraction goes to every notice that may have gone out: its row is written before it is sent.
        b.kind === 'retraction' ? undefined : isNotNull(recallNotices.sentAt),
        after === null ? undefined : gt(recallNotices.customerId, after),
      ),
    )
    .orderBy(asc(recallNotices.customerId))
    .limit(Math.min(messagesPerCall, b.parties ?? partiesPerActivity));
  return rows;
}

/** The customer's first contact's email; none (a letter goes) when it has no contact with one. */
const contactEmail = (customerId: typeof recallParties.customerId | typeof recallNotices.customerId) =>
  sql<
    string | null
  >`(select nullif(${contacts.email}, '') from ${contacts} where ${contacts.customerId} = ${customerId} order by ${contacts.createdAt} limit 1)`;

function markSent(db: Db, b: MessageBatch, noticeIds: string[], method: string, now: Date) {
  const these = inArray(recallNotices.id, noticeIds);
  switch (b.kind) {
    case 'notice':
      return db
        .update(recallNotices)
        .set({ sentAt: now, method })
        .where(and(these, isNull(recallNotices.sentAt)));
    case 'reminder':
      return db
        .update(recallNotices)
        .set({ reminders: b.round!, lastRemindedAt: now })
        .where(and(these, lt(recallNotices.reminders, b.round!)));
    case 'retraction':
      return db
        .update(recallNotices)
        .set({ retractedAt: now })
        .where(and(these, isNull(recallNotices.retractedAt)));
  }
}

/** What every message of the recall says: what is recalled, why, and what to do. */
async function messageContent(db: Db, recall: typeof recalls.$inferSelect) {
  const [product] = await db.select({ name: products.name }).from(products).where(eq(products.id, recall.productId));
  const [component] = recall.componentId
    ? await db.select({ name: productComponents.name }).from(productComponents).where(eq(productComponents.id, recall.componentId))
    : [];
  const what = component ? `${component.name} of ${product?.name ?? recall.productId}` : (product?.name ?? recall.productId);
  const urgency = recall.classRule?.noticeUrgency ?? 'urgent';
  const notice = [
    `We recall ${what} (recall ${recall.id}).`,
    `Why: ${recall.reason}`,
    `Hazard: ${recall.hazard}`,
    `What to do: ${recall.instructions}`,
  ].join('\n');
  return {
    urgency,
    subject: {
      notice: `${urgency === 'immediate' ? 'IMMEDIATE ACTION: ' : ''}Recall of ${what}`,
      reminder: `Reminder: recall of ${what} awaits your answer`,
      retraction: `Recall of ${what} withdrawn`,
    },
    body: {
      notice,
      reminder: `We have not heard from you about this recall.\n${notice}`,
      retraction:
        `The recall ${recall.id} of ${what} was raised in error and is withdrawn: nothing is to be done. ${recall.cancellation?.reason ?? ''}`.trim(),
    },
  };
}

/** A status report's figures (21 CFR 7.53(b)): notified, responding, non-responders, quantities, checks, estimated completion. */
async function reportFigures(db: Db, recall: typeof recalls.$inferSelect, counts: RecallCounts, at: string) {
  const [notified] = await db
    .select({ first: sql<string | null>`min(${recallNotices.sentAt})`, last: sql<string | null>`max(${recallNotices.sentAt})` })
    .from(recallNotices)
    .where(and(eq(recallNotices.recallId, recall.id), isNotNull(recallNotices.sentAt)));
  const methods = await db
    .select({ method: recallNotices.method, count: sql<number>`count(*)::int` })
    .from(recallNotices)
    .where(and(eq(recallNotices.recallId, recall.id), isNotNull(recallNotices.sentAt)))
    .groupBy(recallNotices.method);
  const responses = await db
    .select({
      response: recallResponses.response,
      parties: sql<number>`count(*)::int`,
      quantity: sql<number>`coalesce(sum(${recallResponses.quantity}), 0)::int`,
    })
    .from(recallResponses)
    .where(eq(recallResponses.recallId, recall.id))
    .groupBy(recallResponses.response);
  const [reminded] = await db
    .select({ rounds: sql<number>`coalesce(max(${recallNotices.reminders}), 0)::int` })
    .from(recallNotices)
    .where(eq(recallNotices.recallId, recall.id));
  const quantityOf = (r: string) => responses.find((x) => x.response === r)?.quantity ?? 0;
  const target = recall.classRule?.effectivenessTargetPercent ?? null;
  const time = (v: string | null | undefined) => (v ? new Date(v).toISOString() : null);
  return {
    status: recall.status,
    recallClass: recall.recallClass,
    affected: { parties: recall.affected, instances: recall.quantity },
    notified: {
      parties: counts.notified,
      from: time(notified?.first),
      to: time(notified?.last),
      methods: Object.fromEntries(methods.map((m) => [m.method ?? 'unknown', m.count])),
    },
    responding: counts.responded,
    responses: Object.fromEntries(responses.map((r) => [r.response, r.parties])),
    nonResponders: counts.notified - counts.responded,
    remindersSent: reminded?.rounds ?? 0,
    quantityReturned: quantityOf('returned'),
    quantityRemedied: quantityOf('remedied'),
    effectivenessChecks: {
      level: recall.classRule?.effectivenessLevel ?? null,
      done: checksDone(counts),
      ...effectiveness(counts, target),
    },
    estimatedCompletion:
      target === null || !recall.notifiedAt ? null : estimatedCompletion(counts, target, recall.notifiedAt.getTime(), Date.parse(at)),
  };
}

export type { RecallCounts };
