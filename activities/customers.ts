/**
 * Seed 003's customer and contact rules, shared by order entry and case entry: the customer is
 * found by id, or registered under the id its tax id gives it; "if the contact is not in the
 * system it is entered", an existing one (same e-mail) is updated.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { contacts, customers } from '../db/schema.js';

export interface CustomerAndContact {
  /** Resolved by the API: an existing customer's id, or the id a new one is registered under. */
  customerId: string;
  customer: { id: string } | { name: string; taxId: string };
  contact: { name: string; email: string; phone?: string };
}

export async function enterCustomerAndContact(tx: Db, s: CustomerAndContact): Promise<{ customerId: string; contactId: string }> {
  let customerId = s.customerId;
  if ('id' in s.customer) {
    const [found] = await tx.select({ id: customers.id }).from(customers).where(eq(customers.id, s.customerId));
    if (!found) throw ApplicationFailure.nonRetryable(`No customer ${s.customerId}`, 'CUSTOMER_NOT_FOUND');
  } else {
    await tx
      .insert(customers)
      .values({ id: s.customerId, name: s.customer.name, taxId: s.customer.taxId })
      .onConflictDoNothing({ target: customers.taxId });
    // Registered a moment ago by another request under its own id: that customer it is.
    const [found] = await tx.select({ id: customers.id }).from(customers).where(eq(customers.taxId, s.customer.taxId));
    customerId = found!.id;
  }
  const [contact] = await tx
    .insert(contacts)
    .values({ customerId, name: s.contact.name, email: s.contact.email.toLowerCase(), phone: s.contact.phone ?? null })
    .onConflictDoUpdate({
      target: [contacts.customerId, contacts.email],
      set: { name: s.contact.name, phone: s.contact.phone ?? null },
    })
    .returning({ id: contacts.id });
  return { customerId, contactId: contact!.id };
}
