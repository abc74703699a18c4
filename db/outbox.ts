/**
 * The order events outbox's one rule of reading: an event is final once every transaction older
 * than its own has ended. Transaction ids below this expression have all ended.
 */
import { sql } from 'drizzle-orm';

export const committedHorizon = sql`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;
