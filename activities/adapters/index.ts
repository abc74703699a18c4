import type { AppConfig } from '../../config.js';
import { ActivationSimulator, HttpActivationSystem, type ActivationSystem } from './activation.js';
import { BillingSimulator, HttpBillingSystem, PullBillingSystem, type BillingSystem } from './billing.js';
import { HttpNotificationSystem, NotificationSimulator, type NotificationSystem } from './notification.js';
import { HttpRegulator, RegulatorSimulator, type Regulator } from './regulator.js';

/** The adapters the configuration names; the simulators are what `npm start` uses by default. */
export function createAdapters(config: AppConfig['adapters']): {
  activation: ActivationSystem;
  billing: BillingSystem;
  billingSimulator?: BillingSimulator;
  notification: NotificationSystem;
  regulator: Regulator;
} {
  const activation =
    config.activation.kind === 'http'
      ? new HttpActivationSystem(config.activation.url!)
      : new ActivationSimulator({ latencyMs: config.activation.latencyMs, failureRate: config.activation.failureRate });
  const recalls = {
    notification:
      config.notification.kind === 'http'
        ? new HttpNotificationSystem(config.notification.url!)
        : new NotificationSimulator({ latencyMs: config.notification.latencyMs }),
    regulator: config.regulator.kind === 'http' ? new HttpRegulator(config.regulator.url!) : new RegulatorSimulator(),
  };
  if (config.billing.kind === 'http') return { activation, billing: new HttpBillingSystem(config.billing.url!), ...recalls };
  if (config.billing.kind === 'pull') return { activation, billing: new PullBillingSystem(), ...recalls };
  const billingSimulator = new BillingSimulator(config.billing.ackDelayMs);
  if (config.billing.apiUrl && config.billing.apiKey) billingSimulator.connect(config.billing.apiUrl, config.billing.apiKey);
  return { activation, billing: billingSimulator, billingSimulator, ...recalls };
}
