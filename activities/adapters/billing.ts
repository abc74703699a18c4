/**
 * The billing system (Arbor/BP in the seed): receives ready-for-billing data and acknowledges
 * it; the billing cycle starts only after the acknowledgement.
 * A cancelled order withdraws its RFBs; one billing already accepted also has its cycle stopped.
 * - `http`: POSTs the RFB to BILLING_URL/readyForBilling, a withdrawal to
 *   BILLING_URL/readyForBilling/{rfbId}/withdrawal and a stop to
 *   BILLING_URL/readyForBilling/{rfbId}/cycleStop (each idempotent by the RFB id); the system
 *   acknowledges an RFB through our API later.
 * - `pull`: sends nothing; the system reads GET /api/v1/billing/readyForBilling?status=sent, and
 *   ?status=withdrawn for withdrawals (a withdrawn RFB with a `cycleEndDate` stops its cycle).
 * - simulator: acknowledges after a delay by calling our API exactly as the billing system would,
 *   and records what it received, so tests and support can see it (`held`).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ReadyForBilling } from '../../domain/views.js';

export type { ReadyForBilling };

export interface Withdrawal {
  rfbId: string;
  orderId: string;
  reason: string;
}
export interface CycleStop extends Withdrawal {
  /** The last day billed. */
  endDate: string;
}

export interface BillingSystem {
  sendReadyForBilling(rfb: ReadyForBilling): Promise<void>;
  /** An RFB billing has not accepted: it must not start a cycle. */
  withdraw(w: Withdrawal): Promise<void>;
  /** An RFB billing accepted: its cycle stops on `endDate`. */
  stopCycle(s: CycleStop): Promise<void>;
}

export class HttpBillingSystem implements BillingSystem {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  sendReadyForBilling(rfb: ReadyForBilling): Promise<void> {
    return this.post('/readyForBilling', rfb.rfbId, rfb);
  }

  withdraw(w: Withdrawal): Promise<void> {
    return this.post(`/readyForBilling/${encodeURIComponent(w.rfbId)}/withdrawal`, `${w.rfbId}:withdrawal`, w);
  }

  stopCycle(s: CycleStop): Promise<void> {
    return this.post(`/readyForBilling/${encodeURIComponent(s.rfbId)}/cycleStop`, `${s.rfbId}:cycleStop`, s);
  }

  private async post(path: string, idempotencyKey: string, body: unknown): Promise<void> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status >= 400 && response.status < 500) {
      throw ApplicationFailure.nonRetryable(`billing system refused ${path} (${response.status})`, 'BillingRejected');
    }
    if (!response.ok) throw new Error(`billing system failed on ${path} (${response.status})`);
  }
}

/** Billing reads RFBs and withdrawals from our API; nothing is sent. */
export class PullBillingSystem implements BillingSystem {
  async sendReadyForBilling(): Promise<void> {}
  async withdraw(): Promise<void> {}
  async stopCycle(): Promise<void> {}
}

/** An RFB as the billing simulator holds it (what `GET /simulators/billing` shows). */
export interface BilledRfb {
  rfbId: string;
  orderId: string;
  phase: number;
  componentIds: string[];
  state: 'received' | 'acknowledged' | 'withdrawn';
  cycle: 'notStarted' | 'running' | 'stopped';
}

export class BillingSimulator implements BillingSystem {
  private target?: { apiUrl: string; apiKey: string };
  private readonly rfbs = new Map<string, BilledRfb>();

  constructor(private readonly ackDelayMs: number) {}

  /** The API's address and a billing key, known only once the API listens. */
  connect(apiUrl: string, apiKey: string): void {
    this.target = { apiUrl, apiKey };
  }

  /** The RFBs received for an order, in the order they came. */
  held(orderId: string): BilledRfb[] {
    return [...this.rfbs.values()].filter((r) => r.orderId === orderId).map((r) => ({ ...r }));
  }

  async withdraw(w: Withdrawal): Promise<void> {
    const rfb = this.rfbs.get(w.rfbId);
    if (rfb) rfb.state = 'withdrawn';
  }

  async stopCycle(s: CycleStop): Promise<void> {
    const rfb = this.rfbs.get(s.rfbId);
    if (rfb) Object.assign(rfb, { state: 'withdrawn', cycle: rfb.cycle === 'running' ? 'stopped' : rfb.cycle });
  }

  async sendReadyForBilling(rfb: ReadyForBilling): Promise<void> {
    const target = this.target;
    if (!target) throw new Error('billing simulator is not connected to the API yet');
    if (!this.rfbs.has(rfb.rfbId)) {
      const componentIds = rfb.items.flatMap((i) => i.componentIds);
      this.rfbs.set(rfb.rfbId, {
        rfbId: rfb.rfbId,
        orderId: rfb.orderId,
        phase: rfb.phase,
        componentIds,
        state: 'received',
        cycle: 'notStarted',
      });
    }
    setTimeout(() => {
      void fetch(`${target.apiUrl}/api/v1/billing/acknowledgements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          rfbId: rfb.rfbId,
          status: 'accepted',
          billingAccountId: rfb.billingAccountId ?? `BA-${rfb.customer.id}`,
          cycleStartDate: rfb.startDate,
        }),
      })
        .then((response) => {
          // Billing runs a cycle only for an RFB our API took its acknowledgement for.
          const held = this.rfbs.get(rfb.rfbId);
          if (response.ok && held?.state === 'received') Object.assign(held, { state: 'acknowledged', cycle: 'running' });
        })
        .catch(() => {});
    }, this.ackDelayMs).unref();
  }
}
