/**
 * Order entry never hangs and never guesses: without a worker to record the order, the POST
 * answers 202 with the order's Location past its deadline, and the order is written once a worker
 * comes; a conflict that a retry cannot cure fails for good instead of retrying forever.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActivationSimulator } from '../../activities/adapters/activation.js';
import { PullBillingSystem } from '../../activities/adapters/billing.js';
import { createActivities } from '../../activities/index.js';
import { orderActivities } from '../../activities/orders.js';
import { customerIdFor } from '../../api/order-entry.js';
import { bearer, eventually, startTestPlatform, workflowBundle, type TestPlatform } from '../support/platform.js';

const answerWithinMs = 1_500;
let p: TestPlatform;
beforeAll(async () => void (p = await startTestPlatform({ worker: false, answerWithinMs })));
afterAll(() => p?.close());

const body = (taxId: string) => ({
  customer: { name: 'Paciente SA', taxId },
  contact: { name: 'Pia Paciente', email: 'pia@paciente.example' },
  items: [{ offeringId: 'datahost' }],
});

describe('order entry', () => {
  it('answers 202 with the Location when the order is not written in time, and the order is written once a worker comes', async () => {
    const agent = bearer(await p.keyFor('agent'));
    const started = Date.now();
    const answer = await p.app.inject({
      method: 'POST',
      url: '/api/v1/productOrders',
      headers: agent,
      payload: body(`WAIT-${Date.now()}`),
    });
    expect(answer.statusCode).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(answerWithinMs);
    const location = answer.headers.location as string;
    expect(location).toBe(`/api/v1/productOrders/${answer.json().id}`);
    expect((await p.app.inject({ method: 'GET', url: location, headers: agent })).statusCode).toBe(404);

    const connection = await NativeConnection.connect({ address: inject('devServerAddress') });
    const worker = await Worker.create({
      connection,
      taskQueue: p.taskQueue,
      workflowBundle: workflowBundle(),
      activities: createActivities({ db: p.database.db, activation: new ActivationSimulator(), billing: new PullBillingSystem() }),
    });
    await worker.runUntil(async () => {
      const read = await eventually(
        () => p.app.inject({ method: 'GET', url: location, headers: agent }),
        (r) => r.statusCode === 200,
      );
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject({ id: answer.json().id });
    });
    await connection.close();
  });

  it('fails for good, not forever, when the order cannot be recorded as submitted', async () => {
    const { recordOrder } = orderActivities(p.database.db, new ActivationSimulator(), new PullBillingSystem());
    const taxId = `TAKEN-${Date.now()}`;
    const submit = (orderId: string) => ({
      orderId,
      externalId: 'PO-TAKEN',
      customerId: customerIdFor(taxId),
      customer: { name: 'Ocupado SA', taxId },
      contact: { name: 'Oto', email: 'oto@ocupado.example' },
      requestHash: 'x',
      currency: 'EUR',
      items: [],
      oneTimeCents: 0,
      recurringCents: 0,
      plan: [],
    });
    const milestones = Object.fromEntries(
      ['activation1', 'acceptance1', 'rfb1', 'manualTasks', 'activation2', 'acceptance2', 'rfb2'].map((m) => [
        m,
        { status: 'pending', at: null },
      ]),
    ) as Parameters<typeof recordOrder>[1];
    await recordOrder(submit('ORD-TAKEN-1'), milestones);
    await recordOrder(submit('ORD-TAKEN-1'), milestones); // a retry: the same order, nothing new
    // Another order id with the same customer and externalId can never be written.
    const refused = await recordOrder(submit('ORD-TAKEN-2'), milestones).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'ORDER_CONFLICT', nonRetryable: true });
  });
});
