/**
 * Delivers the order events outbox to the hub's listeners, each from its own place, at least
 * once, in commit-safe order: an event is taken only once every transaction older than it has
 * ended (the snapshot's xmin), ordered by (transaction id, event id), so one committing late
 * never slips behind a listener's place. Each listener runs apart from the others, under a lease
 * (one dispatcher at a time, however many workers run); one that fails is backed off (doubling,
 * up to a minute) and retried from the event it missed, holding up no order and no listener.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { committedHorizon } from '../db/outbox.js';
import { hubListeners, orderEvents } from '../db/schema.js';

export interface HubDispatcherOptions {
  db: Db;
  logger: Logger;
  pollMs?: number;
  timeoutMs?: number;
}

export function startHubDispatcher(o: HubDispatcherOptions): { stop(): Promise<void> } {
  const { db, logger, pollMs = 500, timeoutMs = 5_000 } = o;
  const me = randomUUID();
  const leaseMs = 60_000;
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  /** Takes (or renews) the listener's lease; false when another dispatcher holds it. */
  async function lease(id: string) {
    const until = new Date(Date.now() + leaseMs);
    const free = or(isNull(hubListeners.leasedUntil), lt(hubListeners.leasedUntil, new Date()), eq(hubListeners.leaseHolder, me));
    const taken = await db
      .update(hubListeners)
      .set({ leaseHolder: me, leasedUntil: until })
      .where(and(eq(hubListeners.id, id), free))
      .returning({ id: hubListeners.id });
    return taken.length > 0;
  }

  async function deliver(listener: typeof hubListeners.$inferSelect) {
    if (!(await lease(listener.id))) return;
    const events = await db
      .select()
      .from(orderEvents)
      .where(
        and(
          sql`(${orderEvents.txId}, ${orderEvents.id}) > (${listener.deliveredTx}, ${listener.deliveredUpTo})`,
          sql`${orderEvents.txId} < ${committedHorizon}`,
          listener.eventTypes
            ? inArray(orderEvents.eventType, listener.eventTypes as (typeof orderEvents.$inferSelect)['eventType'][])
            : undefined,
        ),
      )
      .orderBy(asc(orderEvents.txId), asc(orderEvents.id))
      .limit(20);
    for (const e of events) {
      if (stopped) return;
      try {
        const response = await fetch(`${listener.callback}/listener/${e.eventType}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            eventId: String(e.id),
            eventType: e.eventType,
            eventTime: e.eventTime.toISOString(),
            event: { productOrder: e.productOrder },
          }),
          // A redirect could carry the event to a host HUB_CALLBACK_HOSTS does not allow.
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      } catch (err) {
        const failures = listener.failures + 1;
        const backoffMs = Math.min(60_000, 500 * 2 ** Math.min(failures, 7));
        logger.warn({ listener: listener.id, eventId: e.id, failures, err: (err as Error).message }, 'hub listener failed; backing off');
        await db
          .update(hubListeners)
          .set({ failures, nextAttemptAt: new Date(Date.now() + backoffMs), leasedUntil: null })
          .where(and(eq(hubListeners.id, listener.id), eq(hubListeners.leaseHolder, me)));
        return;
      }
      Object.assign(listener, { deliveredTx: e.txId, deliveredUpTo: e.id, failures: 0 });
      // Only forward, and only while this dispatcher holds the lease.
      await db
        .update(hubListeners)
        .set({ deliveredTx: e.txId, deliveredUpTo: e.id, failures: 0, leasedUntil: new Date(Date.now() + leaseMs) })
        .where(
          and(
            eq(hubListeners.id, listener.id),
            eq(hubListeners.leaseHolder, me),
            sql`(${hubListeners.deliveredTx}, ${hubListeners.deliveredUpTo}) < (${e.txId}, ${e.id})`,
          ),
        );
    }
  }

  async function tick() {
    try {
      const due = await db.select().from(hubListeners).where(lte(hubListeners.nextAttemptAt, new Date()));
      for (const listener of due) {
        if (inFlight.has(listener.id)) continue; // a slow listener delays only itself
        const delivery = deliver(listener)
          .catch((err: unknown) => logger.warn({ err, listener: listener.id }, 'hub delivery failed'))
          .finally(() => inFlight.delete(listener.id));
        inFlight.set(listener.id, delivery);
      }
    } catch (err) {
      logger.warn({ err }, 'hub round failed');
    }
    if (!stopped) {
      timer = setTimeout(() => {
        void tick();
      }, pollMs);
    }
  }

  void tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(inFlight.values());
    },
  };
}
