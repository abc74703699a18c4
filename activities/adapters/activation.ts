/**
 * The activation system (the old HP activation platform's job): turns on a component of a
 * customer's service. Every request carries an idempotency key, so a retried activity never
 * activates twice; the system answers a repeated key with the first result.
 */
import { ApplicationFailure } from '@temporalio/activity';

export interface ActivationRequest {
  idempotencyKey: string;
  orderId: string;
  serviceId: string;
  componentId: string;
  phase: number;
  configuration: Record<string, string>;
}
export interface ActivationResult {
  activationId: string;
  status: 'activated' | 'deactivated';
}
/**
 * Turns off what an activation turned on. It names the activation by its idempotency key, so a
 * component whose activation answer was lost is still found; "nothing to deactivate" is success.
 */
export interface DeactivationRequest {
  idempotencyKey: string;
  activationKey: string;
  orderId: string;
  serviceId: string;
  componentId: string;
}
export interface ActivationSystem {
  activate(r: ActivationRequest): Promise<ActivationResult>;
  deactivate(r: DeactivationRequest): Promise<ActivationResult>;
}

/** POSTs to the activation system; 4xx is the system's final word (not retried), the rest is retried by Temporal. */
export class HttpActivationSystem implements ActivationSystem {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  activate(r: ActivationRequest) {
    return this.post('/activations', r.idempotencyKey, r);
  }

  async deactivate(r: DeactivationRequest) {
    // The system does not know the activation (its request never arrived): nothing to undo.
    return this.post('/deactivations', r.idempotencyKey, r, { notFound: { activationId: r.activationKey, status: 'deactivated' } });
  }

  private async post(
    path: string,
    idempotencyKey: string,
    body: unknown,
    o: { notFound?: ActivationResult } = {},
  ): Promise<ActivationResult> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (response.status === 404 && o.notFound) return o.notFound;
    if (response.status >= 400 && response.status < 500) {
      throw ApplicationFailure.nonRetryable(
        `activation system refused ${path} (${response.status}): ${text.slice(0, 500)}`,
        'ActivationRejected',
      );
    }
    if (!response.ok) throw new Error(`activation system failed ${path} (${response.status}): ${text.slice(0, 500)}`);
    return JSON.parse(text) as ActivationResult;
  }
}

/** A component as the activation system holds it (what `GET /simulators/activation` shows). */
export interface HeldComponent {
  key: string;
  orderId: string;
  componentId: string;
  state: 'active' | 'inactive';
}

/**
 * A stand-in for the activation system, for `npm start` and benchmarks: answers after a
 * latency, fails at a given rate, and keeps the first result per idempotency key as the real
 * system does. `performed` counts real calls (not repeats) per key; `held` is what it holds.
 */
export class ActivationSimulator implements ActivationSystem {
  readonly performed = new Map<string, number>();
  readonly requests: string[] = [];
  private readonly results = new Map<string, ActivationResult>();
  /** By activation key. */
  private readonly components = new Map<string, HeldComponent>();
  private sequence = 0;

  constructor(readonly options: { latencyMs: number; failureRate: number; random?: () => number } = { latencyMs: 0, failureRate: 0 }) {}

  async activate(r: ActivationRequest): Promise<ActivationResult> {
    return this.perform(r.idempotencyKey, 'activated', () =>
      this.components.set(r.idempotencyKey, { key: r.idempotencyKey, orderId: r.orderId, componentId: r.componentId, state: 'active' }),
    );
  }

  async deactivate(r: DeactivationRequest): Promise<ActivationResult> {
    return this.perform(r.idempotencyKey, 'deactivated', () => {
      const held = this.components.get(r.activationKey);
      if (held) held.state = 'inactive';
    });
  }

  /** The components held for an order, in the order they were first activated. */
  held(orderId: string): HeldComponent[] {
    return [...this.components.values()].filter((c) => c.orderId === orderId).map((c) => ({ ...c }));
  }

  private async perform(key: string, status: ActivationResult['status'], apply: () => void): Promise<ActivationResult> {
    this.requests.push(key);
    if (this.options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    if ((this.options.random ?? Math.random)() < this.options.failureRate) throw new Error('activation simulator: simulated outage');
    let result = this.results.get(key);
    if (!result) {
      result = { activationId: `SIM-${++this.sequence}`, status };
      this.results.set(key, result);
      this.performed.set(key, (this.performed.get(key) ?? 0) + 1);
      apply();
    }
    return result;
  }
}
