/**
 * Delivers the order events outbox to the hub's listeners, each from its own place, in order, at
 * least once. A listener that fails is backed off (doubling, up to a minute) and retried from the
 * event it missed; it holds up no order and no other listener.
 */
import { and, asc, eq, gt, inArray, lt, lte } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { hubListeners, orderEvents } from '../db/schema.js';

export interface HubDispatcherOptions {
  db: Db;
  logger: Logger;
  pollMs?: number;
  /**
   * Events younger than this are left for the next round: ids are given at insert, so a
   * transaction that commits late could otherwise slip in behind a listener's place.
   */
  settleMs?: number;
  timeoutMs?: number;
}

export function startHubDispatcher(o: HubDispatcherOptions): { stop(): Promise<void> } {
  const { db, logger, pollMs = 500, settleMs = 2_000, timeoutMs = 5_000 } = o;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  async function deliver(listener: typeof hubListeners.$inferSelect) {
    const events = await db
      .select()
      .from(orderEvents)
      .where(
        and(
          gt(orderEvents.id, listener.deliveredUpTo),
          lt(orderEvents.eventTime, new Date(Date.now() - settleMs)),
          listener.eventTypes
            ? inArray(orderEvents.eventType, listener.eventTypes as (typeof orderEvents.$inferSelect)['eventType'][])
            : undefined,
        ),
      )
      .orderBy(asc(orderEvents.id))
      .limit(100);
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
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      } catch (err) {
        const failures = listener.failures + 1;
        const backoffMs = Math.min(60_000, 500 * 2 ** Math.min(failures, 7));
        logger.warn({ listener: listener.id, eventId: e.id, failures, err: (err as Error).message }, 'hub listener failed; backing off');
        await db
          .update(hubListeners)
          .set({ failures, nextAttemptAt: new Date(Date.now() + backoffMs) })
          .where(eq(hubListeners.id, listener.id));
        return;
      }
      listener.deliveredUpTo = e.id;
      listener.failures = 0;
      await db.update(hubListeners).set({ deliveredUpTo: e.id, failures: 0 }).where(eq(hubListeners.id, listener.id));
    }
  }

  async function tick() {
    try {
      const due = await db.select().from(hubListeners).where(lte(hubListeners.nextAttemptAt, new Date()));
      await Promise.all(due.map(deliver));
    } catch (err) {
      logger.warn({ err }, 'hub round failed');
    }
    if (!stopped) {
      timer = setTimeout(() => {
        round = tick();
      }, pollMs);
    }
  }

  round = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
