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

export interface ActivityDeps {
  db: Db;
  activation: ActivationSystem;
  billing: BillingSystem;
}

export function createActivities(deps: ActivityDeps) {
  const orders = orderActivities(deps.db, deps.activation, deps.billing);
  return {
    ...orders,
    ...billingActivities(deps.db, deps.billing, (u, executor) => orders.updateOrder(u, executor)),
    ...inboxActivities(deps.db),
    ...caseActivities(deps.db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
