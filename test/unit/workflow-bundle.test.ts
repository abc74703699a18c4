/** The worker's workflow bundle is built once and loaded after, until a file it was built from changes. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedWorkflowBundle } from '../../runtime/worker.js';

// Under the project (not /tmp): the bundler resolves the SDK from the entry's folder up.
const dir = resolve(`.data/test-bundle-${randomUUID()}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('workflow bundle cache', () => {
  it('builds once, loads after, and builds again when a file the bundle came from changes', { timeout: 60_000 }, async () => {
    mkdirSync(dir, { recursive: true });
    const entry = join(dir, 'workflows.ts');
    writeFileSync(
      entry,
      "import { greeting } from './greeting.js';\nexport async function greet(): Promise<string> {\n  return greeting;\n}\n",
    );
    writeFileSync(join(dir, 'greeting.ts'), "export const greeting = 'first-greeting';\n");
    const cache = join(dir, 'cache');

    const built = await cachedWorkflowBundle(cache, entry);
    expect(built.cached).toBe(false);
    expect(built.code).toContain('first-greeting');

    const loaded = await cachedWorkflowBundle(cache, entry);
    expect(loaded).toEqual({ code: built.code, cached: true });

    writeFileSync(join(dir, 'greeting.ts'), "export const greeting = 'second-greeting';\n");
    const rebuilt = await cachedWorkflowBundle(cache, entry);
    expect(rebuilt.cached).toBe(false);
    expect(rebuilt.code).toContain('second-greeting');
    expect(rebuilt.code).not.toContain('first-greeting');

    // Where the cache cannot be written (a read-only container), the worker still gets its bundle.
    writeFileSync(join(dir, 'not-a-folder'), '');
    const unwritable = await cachedWorkflowBundle(join(dir, 'not-a-folder', 'cache'), entry);
    expect(unwritable.cached).toBe(false);
    expect(unwritable.code).toContain('second-greeting');
  });
});
