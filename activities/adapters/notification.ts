/**
 * The notification system that reaches a recall's affected customers: by email to the customer's
 * contact, by letter where there is none. A batch of messages goes in one call; each message
 * carries its own id, which the system dedupes, so a batch sent again (a retried activity, a
 * worker killed before the answer was recorded) reaches nobody twice.
 * - `http`: POSTs `{ messages }` to NOTIFICATION_URL/messages, idempotency key the batch's first
 *   and last id; answers `{ delivered: [{ id, method }] }`.
 * - simulator: keeps the first delivery per id, after a latency per batch.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { NoticeUrgency, RecallMessageKind } from '../../domain/vocabulary.js';
import { postJson } from './http.js';

export interface RecallMessage {
  /** The notice's id, plus `:reminder:<round>` or `:retraction` for the messages that follow it. */
  id: string;
  kind: RecallMessageKind;
  recallId: string;
  noticeId: string;
  customerId: string;
  /** The customer's contact; null sends a letter. */
  email: string | null;
  urgency: NoticeUrgency;
  subject: string;
  /** What is recalled, why, and what to do. */
  body: string;
}
export interface Delivery {
  id: string;
  method: 'email' | 'letter';
}

export interface NotificationSystem {
  send(messages: RecallMessage[]): Promise<Delivery[]>;
}

export class HttpNotificationSystem implements NotificationSystem {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async send(messages: RecallMessage[]): Promise<Delivery[]> {
    const key = `${messages[0]!.id}..${messages.at(-1)!.id}`;
    const text = await postJson(
      'notification system',
      new URL('/messages', this.baseUrl),
      key,
      { messages },
      {
        refusedAs: 'NotificationRejected',
        timeoutMs: this.timeoutMs,
      },
    );
    return (JSON.parse(text) as { delivered: Delivery[] }).delivered;
  }
}

/**
 * A stand-in for the notification system, for `npm start`, tests and the benchmark. `delivered`
 * holds the first delivery of each message id; `received` counts every copy that arrived, so a
 * test sees a resent batch was deduped rather than never resent.
 */
export class NotificationSimulator implements NotificationSystem {
  /** What it keeps of each message (not its text: a recall of 100,000 parties would hold them all in memory). */
  readonly delivered = new Map<string, Pick<RecallMessage, 'id' | 'kind' | 'recallId' | 'customerId' | 'urgency'> & Delivery>();
  received = 0;
  /** While set, every batch is refused with it (a 4xx from the real system): for tests of the unhappy path. */
  refusing: string | null = null;

  constructor(readonly options: { latencyMs: number } = { latencyMs: 0 }) {}

  async send(messages: RecallMessage[]): Promise<Delivery[]> {
    if (this.options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    if (this.refusing)
      throw ApplicationFailure.nonRetryable(`notification simulator refused the batch: ${this.refusing}`, 'NotificationRejected');
    this.received += messages.length;
    return messages.map((m) => {
      const first = this.delivered.get(m.id) ?? {
        id: m.id,
        kind: m.kind,
        recallId: m.recallId,
        customerId: m.customerId,
        urgency: m.urgency,
        method: m.email ? ('email' as const) : ('letter' as const),
      };
      this.delivered.set(m.id, first);
      return { id: m.id, method: first.method };
    });
  }
}
