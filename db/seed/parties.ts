/**
 * Customers who each hold an active instance of a product's component, made in bulk inside the
 * database (generate_series): what a recall's tests and its benchmark recall from. Not run by
 * `npm start`; a demo may call it.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../client.js';

export interface PartiesSeed {
  /** Distinguishes one seeding's customers from another's (letters and digits). */
  prefix: string;
  count: number;
  productId: string;
  componentId: string;
  /** When the instances were activated (all the same day unless given per party by `dayOf`). */
  activatedAt: Date;
  /** Every n-th customer has no contact email (its notice goes by letter); 0 for none. */
  withoutContactEvery?: number;
}

/** Answers the customer ids made, in id order. */
export async function seedParties(db: Db, s: PartiesSeed): Promise<string[]> {
  if (!/^[A-Za-z0-9]{1,20}$/.test(s.prefix)) throw new Error('prefix: letters and digits only');
  const id = sql`${s.prefix} || '-' || lpad(g::text, 7, '0')`;
  const series = sql`generate_series(1, ${s.count}::int) g`;
  const every = s.withoutContactEvery ?? 0;
  const activatedAt = sql`${s.activatedAt.toISOString()}::timestamptz`;
  await db.execute(
    sql`insert into customers (id, name, tax_id) select ${id}, 'Recall party ' || g, ${id} from ${series} on conflict do nothing`,
  );
  await db.execute(
    sql`insert into contacts (customer_id, name, email) select ${id}, 'Contact ' || g, 'party' || g || '@' || lower(${s.prefix}) || '.example'
        from ${series} where ${every}::int = 0 or g % ${every}::int <> 0 on conflict do nothing`,
  );
  // Customers without an email still need a contact row for their order: a phone-only contact.
  await db.execute(
    sql`insert into contacts (customer_id, name, email) select ${id}, 'Contact ' || g, ''
        from ${series} where ${every}::int > 0 and g % ${every}::int = 0 on conflict do nothing`,
  );
  await db.execute(
    sql`insert into product_orders (id, customer_id, contact_id, state, currency, one_time_cents, recurring_cents, milestones, submitted_at, completed_at)
        select 'ORD-' || upper(substr(md5(${id}), 1, 16)), c.customer_id, c.id, 'completed', 'EUR', 0, 0, '{}'::jsonb, ${activatedAt}, ${activatedAt}
        from ${series} join contacts c on c.customer_id = ${id} on conflict do nothing`,
  );
  await db.execute(
    sql`insert into service_instances (id, order_id, customer_id, offering_id, component_id, state, activated_at)
        select 'SVC-' || ${id}, 'ORD-' || upper(substr(md5(${id}), 1, 16)), ${id}, ${s.productId}, ${s.componentId}, 'active', ${activatedAt}
        from ${series} on conflict do nothing`,
  );
  return Array.from({ length: s.count }, (_, i) => `${s.prefix}-${String(i + 1).padStart(7, '0')}`);
}
