import type { AppConfig } from '../../config.js';
import { ActivationSimulator, HttpActivationSystem, type ActivationSystem } from './activation.js';
import { BillingSimulator, HttpBillingSystem, PullBillingSystem, type BillingSystem } from './billing.js';

/** The adapters the configuration names; the simulators are what `npm start` uses by default. */
export function createAdapters(config: AppConfig['adapters']): {
  activation: ActivationSystem;
  billing: BillingSystem;
  billingSimulator?: BillingSimulator;
} {
  const activation =
    config.activation.kind === 'http'
      ? new HttpActivationSystem(config.activation.url!)
      : new ActivationSimulator({ latencyMs: config.activation.latencyMs, failureRate: config.activation.failureRate });
  if (config.billing.kind === 'http') return { activation, billing: new HttpBillingSystem(config.billing.url!) };
  if (config.billing.kind === 'pull') return { activation, billing: new PullBillingSystem() };
  const billingSimulator = new BillingSimulator(config.billing.ackDelayMs);
  if (config.billing.apiUrl && config.billing.apiKey) billingSimulator.connect(config.billing.apiUrl, config.billing.apiKey);
  return { activation, billing: billingSimulator, billingSimulator };
}
