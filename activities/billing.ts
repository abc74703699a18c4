import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { whileDatabaseDown } from './database.js';
import { heartbeating } from './heartbeat.js';
import type { MilestoneName, MilestoneRecord } from '../domain/vocabulary.js';
import { customers, orderItems, productOrders, rfbs, serviceInstances } from '../db/schema.js';
import type { PricedItem, RfbAcknowledgement } from '../domain/order-commands.js';
import type { BillingSystem, ReadyForBilling } from './adapters/billing.js';

type BilledItem = ReadyForBilling['items'][number];

/**
 * What an RFB of `phase` bills of an item: phase 1 the package itself and the components it
 * activates, phase 2 the rest (activation 2 and manual work), each at the prices ordered times
 * the quantity. Nothing for an item whose phase delivered nothing of it.
 */
export function billedInPhase(
  phase: number,
  item: Pick<PricedItem, 'offeringId' | 'quantity' | 'componentIds' | 'oneTimeCents' | 'recurringCents'> & {
    base: PricedItem['base'] | null;
    components: PricedItem['components'] | null;
  },
  /** Components whose activation was skipped in fallout: not delivered, so not billed. */
  notActivated: ReadonlySet<string> = new Set(),
): BilledItem | undefined {
  // Orders entered before prices were kept per component bill whole items, as they did then.
  if (!item.base || !item.components)
    return phase === 1
      ? {
          offeringId: item.offeringId,
          componentIds: item.componentIds,
          quantity: item.quantity,
          oneTimeCents: item.oneTimeCents,
          recurringCents: item.recurringCents,
        }
      : undefined;
  const delivered = item.components.filter((c) => (c.fulfilment === 'auto-phase-1') === (phase === 1) && !notActivated.has(c.id));
  const base = phase === 1 ? item.base : { oneTimeCents: 0, recurringCents: 0 };
  if (delivered.length === 0 && phase !== 1) return undefined;
  return {
    offeringId: item.offeringId,
    componentIds: delivered.map((c) => c.id),
    quantity: item.quantity,
    oneTimeCents: item.quantity * delivered.reduce((sum, c) => sum + c.oneTimeCents, base.oneTimeCents),
    recurringCents: item.quantity * delivered.reduce((sum, c) => sum + c.recurringCents, base.recurringCents),
  };
}

export function billingActivities(
  db: Db,
  billing: BillingSystem,
  updateOrder: (u: { orderId: string; milestones: Partial<Record<MilestoneName, MilestoneRecord>> }, executor?: Db) => Promise<void>,
) {
  /** RFB: everything billing needs (customer, account, items, prices, start date), recorded then sent. */
  async function send(r: { orderId: string; phase: number; rfbId: string; milestone: MilestoneRecord }): Promise<MilestoneRecord> {
    const milestone: MilestoneRecord = { ...r.milestone, status: 'inProgress', at: new Date().toISOString() };
    // The database's own outages do not spend the send's retries, which are billing's.
    const stored = await whileDatabaseDown(async () => {
      const [order] = await db
        .select({ order: productOrders, customer: customers })
        .from(productOrders)
        .innerJoin(customers, eq(customers.id, productOrders.customerId))
        .where(eq(productOrders.id, r.orderId));
      const items = await db.select().from(orderItems).where(eq(orderItems.orderId, r.orderId));
      const skipped = await db
        .select({ componentId: serviceInstances.componentId })
        .from(serviceInstances)
        .where(and(eq(serviceInstances.orderId, r.orderId), eq(serviceInstances.state, 'notActivated')));
      const notActivated = new Set(skipped.map((c) => c.componentId));
      const billed = items.map((i) => billedInPhase(r.phase, i, notActivated)).filter((i) => i !== undefined);
      const payload: ReadyForBilling = {
        rfbId: r.rfbId,
        orderId: r.orderId,
        phase: r.phase,
        customer: { id: order!.customer.id, name: order!.customer.name, taxId: order!.customer.taxId },
        billingAccountId: order!.order.billingAccountId,
        currency: order!.order.currency,
        items: billed,
        oneTimeCents: billed.reduce((sum, i) => sum + i.oneTimeCents, 0),
        recurringCents: billed.reduce((sum, i) => sum + i.recurringCents, 0),
        startDate: new Date().toISOString().slice(0, 10),
      };
      // The row and its milestone in one transaction: billing (pull) sees the RFB only with it, so
      // its answer's write always comes after. A retried send writes nothing again and resends
      // the stored payload, unchanged.
      return db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(rfbs)
          .values({ id: r.rfbId, orderId: r.orderId, phase: r.phase, status: 'sent', payload, sentAt: new Date() })
          .onConflictDoNothing()
          .returning({ id: rfbs.id });
        if (inserted) await updateOrder({ orderId: r.orderId, milestones: { [`rfb${r.phase}` as MilestoneName]: milestone } }, tx);
        const [row] = await tx.select({ payload: rfbs.payload }).from(rfbs).where(eq(rfbs.id, r.rfbId));
        return row!.payload as ReadyForBilling;
      });
    });
    await billing.sendReadyForBilling(stored);
    return milestone;
  }

  return {
    /** RFB: everything billing needs (customer, account, items, prices, start date), recorded then sent. */
    async sendReadyForBilling(r: { orderId: string; phase: number; rfbId: string; milestone: MilestoneRecord }): Promise<MilestoneRecord> {
      return heartbeating(() => send(r));
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
      // An accepted retry leaves no word of the rejection that sent it to fallout.
      const { detail: _earlier, ...kept } = previous!;
      const milestone: MilestoneRecord = {
        ...kept,
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
