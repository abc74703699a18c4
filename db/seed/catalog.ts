import { sql } from 'drizzle-orm';
import { catalogue } from '../../catalog/datahost.js';
import { defaultFalloutPolicies } from '../../catalog/fallout-policies.js';
import { defaultEscalationRules } from '../../catalog/escalation-rules.js';
import type { Db } from '../client.js';
import { escalationRules, falloutPolicies, productComponents, products } from '../schema.js';

/**
 * Seeds the business rules shipped in catalog/, at every start. The catalogue is upserted, so a
 * changed price or new row lands; a fallout policy or escalation rule is only added when
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
}
