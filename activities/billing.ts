import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { MilestoneName, MilestoneRecord } from '../domain/vocabulary.js';
import { customers, orderItems, productOrders, rfbs } from '../db/schema.js';
import type { RfbAcknowledgement } from '../workflows/order.contract.js';
import type { BillingSystem, ReadyForBilling } from './adapters/billing.js';

export function billingActivities(
  db: Db,
  billing: BillingSystem,
  updateOrder: (u: { orderId: string; milestones: Partial<Record<MilestoneName, MilestoneRecord>> }) => Promise<void>,
) {
  return {
    /** RFB: everything billing needs (customer, account, items, prices, start date), recorded then sent. */
    async sendReadyForBilling(r: { orderId: string; phase: number; rfbId: string; milestone: MilestoneRecord }): Promise<MilestoneRecord> {
      const [order] = await db
        .select({ order: productOrders, customer: customers })
        .from(productOrders)
        .innerJoin(customers, eq(customers.id, productOrders.customerId))
        .where(eq(productOrders.id, r.orderId));
      const items = await db.select().from(orderItems).where(eq(orderItems.orderId, r.orderId));
      const payload: ReadyForBilling = {
        rfbId: r.rfbId,
        orderId: r.orderId,
        phase: r.phase,
        customer: { id: order!.customer.id, name: order!.customer.name, taxId: order!.customer.taxId },
        billingAccountId: order!.order.billingAccountId,
        currency: order!.order.currency,
        items: items.map((i) => ({
          offeringId: i.offeringId,
          componentIds: i.componentIds,
          quantity: i.quantity,
          oneTimeCents: i.oneTimeCents,
          recurringCents: i.recurringCents,
        })),
        oneTimeCents: order!.order.oneTimeCents,
        recurringCents: order!.order.recurringCents,
        startDate: new Date().toISOString().slice(0, 10),
      };
      await db
        .insert(rfbs)
        .values({ id: r.rfbId, orderId: r.orderId, phase: r.phase, status: 'sent', payload, sentAt: new Date() })
        .onConflictDoNothing();
      const milestone: MilestoneRecord = { ...r.milestone, status: 'inProgress', at: new Date().toISOString() };
      await updateOrder({ orderId: r.orderId, milestones: { [`rfb${r.phase}`]: milestone } });
      await billing.sendReadyForBilling(payload);
      return milestone;
    },

    /** The billing cycle starts with the first accepted acknowledgement; it is recorded on the order. */
    async recordRfbAcknowledgement(a: RfbAcknowledgement & { orderId: string }): Promise<MilestoneRecord> {
      const now = new Date();
      const [rfb] = await db
        .update(rfbs)
        .set({
          status: a.status,
          acknowledgedAt: now,
          billingAccountId: a.billingAccountId ?? null,
          cycleStartDate: a.cycleStartDate ?? null,
          reason: a.reason ?? null,
        })
        .where(eq(rfbs.id, a.rfbId))
        .returning({ phase: rfbs.phase });
      const [order] = await db
        .select({
          milestones: productOrders.milestones,
          billingAccountId: productOrders.billingAccountId,
          billingStartDate: productOrders.billingStartDate,
        })
        .from(productOrders)
        .where(eq(productOrders.id, a.orderId));
      const name = `rfb${rfb!.phase}` as MilestoneName;
      const previous = order!.milestones[name];
      if (a.status === 'accepted') {
        await db
          .update(productOrders)
          .set({
            billingAccountId: order!.billingAccountId ?? a.billingAccountId ?? null,
            billingStartDate: order!.billingStartDate ?? a.cycleStartDate ?? now.toISOString().slice(0, 10),
          })
          .where(eq(productOrders.id, a.orderId));
      }
      const done = a.status === 'accepted';
      const late = done && previous?.deadline ? now.getTime() > Date.parse(previous.deadline) : undefined;
      const milestone: MilestoneRecord = {
        ...previous!,
        status: done ? 'done' : 'inProgress',
        at: now.toISOString(),
        ...(done ? {} : { detail: `rejected by billing${a.reason ? `: ${a.reason}` : ''}` }),
        ...(late || previous?.deadlineMissed ? { deadlineMissed: true } : {}),
      };
      await updateOrder({ orderId: a.orderId, milestones: { [name]: milestone } });
      return milestone;
    },
  };
}
