/**
 * The one place activities meet their dependencies: tests build them over real or fake adapters
 * without module mocks, which could not reach into the workflow bundle anyway.
 */
import type { Db } from '../db/client.js';

export interface ActivityDeps {
  db: Db;
}

export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
