import { sql } from 'drizzle-orm';
import { catalogue } from '../../catalog/datahost.js';
import type { Db } from '../client.js';
import { productComponents, products } from '../schema.js';

/** Upserts the shipped catalogue; run at every start, so a changed price or new row lands. */
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
}
