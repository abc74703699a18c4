/**
 * The one place activities meet their dependencies: tests build them over real or fake adapters
 * without module mocks, which could not reach into the workflow bundle anyway.
 */
import type { Db } from '../db/client.js';
import type { ActivationSystem } from './adapters/activation.js';
import type { BillingSystem } from './adapters/billing.js';
import { billingActivities } from './billing.js';
import { inboxActivities } from './inbox.js';
import { caseActivities } from './cases.js';
import { orderActivities } from './orders.js';
import { NotificationSimulator, type NotificationSystem } from './adapters/notification.js';
import { RegulatorSimulator, type Regulator } from './adapters/regulator.js';
import { recallActivities } from './recalls.js';

export interface ActivityDeps {
  db: Db;
  activation: ActivationSystem;
  billing: BillingSystem;
  /** Recalls reach customers and the regulator through these; the simulators where none is given (tests of other flows). */
  notification?: NotificationSystem;
  regulator?: Regulator;
}

export function createActivities(deps: ActivityDeps) {
  const orders = orderActivities(deps.db, deps.activation, deps.billing);
  return {
    ...orders,
    ...billingActivities(deps.db, deps.billing, (u, executor) => orders.updateOrder(u, executor)),
    ...inboxActivities(deps.db),
    ...caseActivities(deps.db),
    ...recallActivities(deps.db, deps.notification ?? new NotificationSimulator(), deps.regulator ?? new RegulatorSimulator()),
  };
}

export type Activities = ReturnType<typeof createActivities>;
