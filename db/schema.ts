/**
 * Every table of the platform, in one place. Migrations are generated from this file by
 * drizzle-kit (`npm run db:generate`) and committed under db/migrations.
 */
import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const roles = ['agent', 'backoffice', 'billing', 'support', 'admin', 'customer'] as const;
export type Role = (typeof roles)[number];

/** API keys are stored as SHA-256 digests: a leaked table does not leak usable keys. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    keyHash: text('key_hash').notNull().unique(),
    role: text('role').$type<Role>().notNull(),
    /** Inbox groups a back-office key may work (e.g. `provisioning`, `fallout`). */
    groups: text('groups').array().notNull().default(sql`'{}'::text[]`),
    /** A customer key sees only this customer's records. */
    customerId: text('customer_id'),
    label: text('label'),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    check('api_keys_role_check', sql`${t.role} in ('agent', 'backoffice', 'billing', 'support', 'admin', 'customer')`),
    check('api_keys_customer_check', sql`(${t.role} = 'customer') = (${t.customerId} is not null)`),
    index('api_keys_label_idx').on(t.label),
  ],
);
