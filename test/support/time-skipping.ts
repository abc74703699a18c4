import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort, registerSearchAttributes, startTimeSkippingServer } from '../../runtime/temporal-server.js';

/**
 * A time-skipping server of this test file's own: its clock is global to the server, so two
 * files sharing one would hold each other's time still. We start it ourselves (the SDK's launcher
 * allows too little start-up time on a loaded machine) and attach with time skipping on:
 * `createFromExistingServer` always turns it off, hence the SDK's internal factory.
 * The binary is the one the test run's global setup found, unless given: the history recorder runs
 * outside vitest, where importing vitest throws, hence the import on demand.
 */
export async function timeSkippingEnvironment(executable?: string): Promise<TestWorkflowEnvironment> {
  executable ??= (await import('vitest')).inject('timeSkippingExecutable');
  const server = await startTimeSkippingServer({ executable, port: await freePort() });
  const create = (TestWorkflowEnvironment as unknown as { create(o: object): Promise<TestWorkflowEnvironment> }).create.bind(
    TestWorkflowEnvironment,
  );
  const env = await create({ server: { type: 'existing' }, address: server.address, namespace: 'default', supportsTimeSkipping: true });
  await registerSearchAttributes(env.connection);
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await server.stop();
  };
  return env;
}
