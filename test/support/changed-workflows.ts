/**
 * inspectionSubject as a careless change would leave it: a new activity call before the old
 * ones, without `patched()`. Replay of the recorded history must reject it.
 */
import * as wf from '@temporalio/workflow';
import type { TestActivities } from './activities.js';

const { callActivationSystem, recordStep } = wf.proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });

export async function inspectionSubject(): Promise<string> {
  await callActivationSystem();
  await recordStep('first');
  return '';
}
