import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { roles, type Role } from '../domain/vocabulary.js';
import { apiKeys, customers } from '../db/schema.js';
import { hashApiKey, newApiKey } from '../db/api-keys.js';

const label = 'development';
export const devCustomerId = 'CUST-DEV-0001';
export const devBackofficeGroups = ['provisioning', 'web-marketing', 'fallout', 'product-safety'];

/**
 * One fresh key per role for a developer's `npm start`. Keys are stored hashed, so the previous
 * start's keys cannot be shown again: they are revoked and new ones printed instead.
 */
export async function seedDevelopmentKeys(db: Db): Promise<Record<Role, string>> {
  // The customer the development customer key belongs to.
  await db.insert(customers).values({ id: devCustomerId, name: 'Demo Hosting Customer Ltd', taxId: 'DEV-0001' }).onConflictDoNothing();
  await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.label, label), isNull(apiKeys.revokedAt)));
  const keys = {} as Record<Role, string>;
  for (const role of roles) {
    const key = newApiKey();
    await db.insert(apiKeys).values({
      keyHash: hashApiKey(key),
      role,
      groups: role === 'backoffice' ? devBackofficeGroups : [],
      customerId: role === 'customer' ? devCustomerId : null,
      label,
      createdBy: 'npm start',
    });
    keys[role] = key;
  }
  return keys;
}
