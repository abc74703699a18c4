import { sql } from 'drizzle-orm';
import { catalogue } from '../../catalog/datahost.js';
import { defaultFalloutPolicies } from '../../catalog/fallout-policies.js';
import { defaultEscalationRules } from '../../catalog/escalation-rules.js';
import { defaultCalendars, defaultSlaDefinitions } from '../../catalog/sla.js';
import { defaultRecallClasses } from '../../catalog/recall-classes.js';
import type { Db } from '../client.js';
import { calendars, escalationRules, falloutPolicies, productComponents, products, recallClassRules, slaDefinitions } from '../schema.js';

/**
 * Seeds the business rules shipped in catalog/, at every start. The catalogue is upserted, so a
 * changed price or new row lands; a fallout policy, escalation rule, calendar, SLA target or recall class is only added when
 * missing, so an admin's change survives a restart.
 */
export async function seedCatalogue(db: Db): Promise<void> {
  for (const p of catalogue) {
    const { components, ...product } = p;
    await db
      .insert(products)
      .values(product)
      .onConflictDoUpdate({ target: products.id, set: { ...product, id: sql`excluded.id` } });
    for (const [position, c] of components.entries()) {
      const row = { ...c, productId: p.id, manualGroup: c.manualGroup ?? null, position };
      await db.insert(productComponents).values(row).onConflictDoUpdate({ target: productComponents.id, set: row });
    }
  }
  await db.insert(falloutPolicies).values(defaultFalloutPolicies).onConflictDoNothing();
  await db.insert(escalationRules).values(defaultEscalationRules).onConflictDoNothing();
  await db.insert(calendars).values(defaultCalendars).onConflictDoNothing();
  await db.insert(slaDefinitions).values(defaultSlaDefinitions).onConflictDoNothing();
  await db.insert(recallClassRules).values(defaultRecallClasses).onConflictDoNothing();
}
