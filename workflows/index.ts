/**
 * Every workflow the worker runs; this module is the worker's workflowsPath and is bundled for
 * Temporal's deterministic sandbox, so it imports workflow code only.
 */
export { order } from './order.js';
export { troubleTicket as case } from './case.js';
export { recall } from './recall.js';
