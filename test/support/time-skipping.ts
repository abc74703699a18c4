import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

/**
 * Attaches to the run's time-skipping server. `createFromExistingServer` always turns time
 * skipping off, so we call the SDK's internal factory with it on; the server is ours (see
 * global-setup), started with a longer start-up allowance than the SDK's launcher gives.
 */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const create = (TestWorkflowEnvironment as unknown as { create(o: object): Promise<TestWorkflowEnvironment> }).create.bind(TestWorkflowEnvironment);
  return create({ server: { type: 'existing' }, address: inject('timeSkippingAddress'), namespace: 'default', supportsTimeSkipping: true });
}
