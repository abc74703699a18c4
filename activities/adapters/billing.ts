/**
 * The billing system (Arbor/BP in the seed): receives ready-for-billing data and acknowledges
 * it; the billing cycle starts only after the acknowledgement.
 * - `http`: POSTs the RFB to BILLING_URL; the system acknowledges through our API later.
 * - `pull`: sends nothing; the system reads GET /api/v1/billing/readyForBilling?status=sent.
 * - simulator: acknowledges after a delay by calling our API exactly as the billing system would.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ReadyForBilling } from '../../domain/views.js';

export type { ReadyForBilling };

export interface BillingSystem {
  sendReadyForBilling(rfb: ReadyForBilling): Promise<void>;
}

export class HttpBillingSystem implements BillingSystem {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async sendReadyForBilling(rfb: ReadyForBilling): Promise<void> {
    const response = await fetch(new URL('/readyForBilling', this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': rfb.rfbId },
      body: JSON.stringify(rfb),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status >= 400 && response.status < 500) {
      throw ApplicationFailure.nonRetryable(`billing system refused ${rfb.rfbId} (${response.status})`, 'BillingRejected');
    }
    if (!response.ok) throw new Error(`billing system failed on ${rfb.rfbId} (${response.status})`);
  }
}

export class PullBillingSystem implements BillingSystem {
  async sendReadyForBilling(): Promise<void> {}
}

export class BillingSimulator implements BillingSystem {
  private target?: { apiUrl: string; apiKey: string };

  constructor(private readonly ackDelayMs: number) {}

  /** The API's address and a billing key, known only once the API listens. */
  connect(apiUrl: string, apiKey: string): void {
    this.target = { apiUrl, apiKey };
  }

  async sendReadyForBilling(rfb: ReadyForBilling): Promise<void> {
    const target = this.target;
    if (!target) throw new Error('billing simulator is not connected to the API yet');
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
      }).catch(() => {});
    }, this.ackDelayMs).unref();
  }
}
