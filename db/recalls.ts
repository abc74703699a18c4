/**
 * A recall's queries shared by its activities and the API: which service instances it affects,
 * its figures from the notices, and a party's answer to a notice (bulk data the API writes,
 * design section 1; the workflow only counts it).
 */
import { and, eq, gte, inArray, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { RecallCounts } from '../domain/recalls.js';
import { remedyResponses, type NoticeResponse } from '../domain/vocabulary.js';
import type { Db } from './client.js';
import { recallNotices, recallResponses, serviceInstances } from './schema.js';

export interface RecallScope {
  productId: string;
  componentId?: string | null;
  scope: { activatedFrom?: string; activatedTo?: string; serviceIds?: string[] };
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 24 * 3600_000);

/** The active instances of the recalled product (and component) within the scope's dates and ids. */
export function affectedInstances(r: RecallScope): SQL {
  return and(
    eq(serviceInstances.offeringId, r.productId),
    eq(serviceInstances.state, 'active'),
    r.componentId ? eq(serviceInstances.componentId, r.componentId) : undefined,
    r.scope.activatedFrom ? gte(serviceInstances.activatedAt, new Date(`${r.scope.activatedFrom}T00:00:00Z`)) : undefined,
    r.scope.activatedTo ? lt(serviceInstances.activatedAt, nextDay(r.scope.activatedTo)) : undefined,
    r.scope.serviceIds ? inArray(serviceInstances.id, r.scope.serviceIds) : undefined,
  )!;
}

export async function countAffected(db: Db, r: RecallScope): Promise<{ parties: number; instances: number }> {
  const [row] = await db
    .select({ parties: sql<number>`count(distinct ${serviceInstances.customerId})::int`, instances: sql<number>`count(*)::int` })
    .from(serviceInstances)
    .where(affectedInstances(r));
  return row!;
}

/** The figures the workflow goes by, from the notices in one pass. */
export async function countRecall(db: Db, recallId: string, affected: number): Promise<RecallCounts> {
  const [row] = await db
    .select({
      notified: sql<number>`count(*) filter (where ${recallNotices.sentAt} is not null)::int`,
      responded: sql<number>`count(${recallNotices.response})::int`,
      remedied: sql<number>`count(*) filter (where ${inArray(recallNotices.response, [...remedyResponses])})::int`,
      declined: sql<number>`count(*) filter (where ${recallNotices.response} = 'declined')::int`,
    })
    .from(recallNotices)
    .where(eq(recallNotices.recallId, recallId));
  return { affected, ...row! };
}

/**
 * A party's answer, once: the same answer again is the same row (`repeated`); the notice shows
 * the latest one (a remedy stands). Returns undefined when the notice was never sent.
 */
export async function recordNoticeResponse(
  db: Db,
  r: { noticeId: string; response: NoticeResponse; quantity: number | null; by: string },
): Promise<'created' | 'repeated' | { conflict: number | null } | { held: number } | undefined> {
  return db.transaction(async (tx) => {
    const [notice] = await tx
      .select({
        id: recallNotices.id,
        recallId: recallNotices.recallId,
        quantity: recallNotices.quantity,
        response: recallNotices.response,
      })
      .from(recallNotices)
      .where(and(eq(recallNotices.id, r.noticeId), isNotNull(recallNotices.sentAt)))
      .for('update');
    if (!notice) return undefined;
    const at = new Date();
    const remedy = remedyResponses.includes(r.response);
    const quantity = r.quantity ?? (remedy ? notice.quantity : null);
    // What comes back or is remedied, over all the party's answers, is what it holds of the recall, at most.
    if (quantity !== null) {
      const [before] = await tx
        .select({ quantity: sql<number>`coalesce(sum(${recallResponses.quantity}), 0)::int` })
        .from(recallResponses)
        .where(
          and(
            eq(recallResponses.noticeId, notice.id),
            inArray(recallResponses.response, [...remedyResponses]),
            ne(recallResponses.response, r.response),
          ),
        );
      if (before!.quantity + quantity > notice.quantity) return { held: notice.quantity - before!.quantity };
    }
    const [created] = await tx
      .insert(recallResponses)
      .values({ noticeId: notice.id, recallId: notice.recallId, response: r.response, quantity, by: r.by, at })
      .onConflictDoNothing()
      .returning({ id: recallResponses.id });
    if (!created) {
      const [first] = await tx
        .select({ quantity: recallResponses.quantity })
        .from(recallResponses)
        .where(and(eq(recallResponses.noticeId, notice.id), eq(recallResponses.response, r.response)));
      return first!.quantity === quantity ? 'repeated' : { conflict: first!.quantity };
    }
    // A party that returned or remedied has dealt with the recall: a later acknowledgement does not undo that.
    if (remedy || !notice.response || !remedyResponses.includes(notice.response))
      await tx.update(recallNotices).set({ response: r.response, respondedAt: at }).where(eq(recallNotices.id, notice.id));
    return 'created';
  });
}
