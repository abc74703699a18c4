/**
 * Every committed history replays against today's workflow code. A change that alters a running
 * workflow's commands without `patched()` fails here with a nondeterminism error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/platform.js';
import { recipes, retiredHistories } from '../support/record-histories.js';

const dir = fileURLToPath(new URL('../histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
/** Temporal's JSON as parsed: `Worker.runReplayHistory` converts it to a History itself. */
const readHistory = (file: string): unknown => JSON.parse(readFileSync(dir + file, 'utf8'));

describe('replay of recorded histories', () => {
  it('has a recorded history for every recipe', () => {
    expect(files.sort()).toEqual(expect.arrayContaining(recipes.map((r) => r.file)));
  });

  it.each(files)('replays %s without nondeterminism', async (file) => {
    const history = readHistory(file);
    const workflowId = [...recipes, ...retiredHistories].find((r) => r.file === file)?.workflowId;
    expect(workflowId, `${file} is neither a recipe nor a retired history`).toBeDefined();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId!)).resolves.toBeUndefined();
  });
});

describe('replay as a guard', () => {
  it('rejects the recorded history when the workflow changes its commands without patched()', async () => {
    const { bundleWorkflows } = await import('../../runtime/worker.js');
    const changed = await bundleWorkflows(fileURLToPath(new URL('../support/changed-workflows.ts', import.meta.url)));
    const history = readHistory('inspection-subject.json');
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, 'inspection-subject-recorded')).rejects.toThrow(
      /[Nn]ondetermin/,
    );
  });
});
