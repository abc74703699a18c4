/**
 * The lint rules that hold the house (design.md, "The house") do fire: each probe is linted with the
 * repository's own eslint.config.js, as a file in the folder it pretends to live in. A rule that
 * silently stopped matching (a renamed folder, a changed pattern) fails here, not in review.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Probes exist only as text, so the project service cannot find them in tsconfig.json's file list;
// it types them in a default project with the same compiler options. Every rule is the repository's.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['**/probe.ts', '**/probe-commands.ts'],
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*/probe.ts', '*/probe-commands.ts', 'test/unit/probe.ts'],
          defaultProject: 'tsconfig.json',
        },
      },
    },
  },
});

/** Rule ids reported for `code` linted as if it were the file at `path` (relative to the repository). */
async function violations(path: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

const boundary = '@typescript-eslint/no-restricted-imports';

// The first lint builds the TypeScript program for the type-aware rules (a few seconds); later
// probes reuse it.
beforeAll(() => violations('api/probe.ts', 'export {};\n'), 120_000);

describe('import boundaries', () => {
  it('keep db/ out of workflows, for values and types alike', async () => {
    expect(await violations('workflows/probe.ts', "import { tasks } from '../db/schema.js';\nexport const t = tasks;\n")).toEqual([
      expect.stringContaining(`${boundary}: '../db/schema.js' import is restricted`),
    ]);
    expect(
      await violations('workflows/probe.ts', "import type { OrderState } from '../db/schema.js';\nexport type S = OrderState;\n"),
    ).toEqual([expect.stringContaining(boundary)]);
  });

  it('let workflows import activity types, not activity code', async () => {
    expect(
      await violations('workflows/probe.ts', "import type { Activities } from '../activities/index.js';\nexport type A = Activities;\n"),
    ).toEqual([]);
    expect(
      await violations('workflows/probe.ts', "import { type Activities } from '../activities/index.js';\nexport type A = Activities;\n"),
    ).toEqual([]);
    expect(
      await violations(
        'workflows/probe.ts',
        "import { createActivities } from '../activities/index.js';\nexport const c = createActivities;\n",
      ),
    ).toEqual([expect.stringContaining(`${boundary}: '../activities/index.js' import is restricted`)]);
  });

  it('keep node built-ins and zod out of the workflow sandbox', async () => {
    expect(await violations('workflows/probe.ts', "import { createHash } from 'node:crypto';\nexport const h = createHash;\n")).toEqual([
      expect.stringContaining(boundary),
    ]);
    expect(await violations('workflows/probe.ts', "import { readFileSync } from 'fs';\nexport const r = readFileSync;\n")).toEqual([
      expect.stringContaining(boundary),
    ]);
    expect(await violations('workflows/probe.ts', "import { z } from 'zod';\nexport const s = z.string();\n")).toEqual([
      expect.stringContaining(`${boundary}: 'zod' import is restricted`),
    ]);
  });

  it('let workflow code take types, never values, from the schema modules beside the sandbox', async () => {
    expect(
      await violations(
        'workflows/probe.ts',
        "import { taskOutcomes } from '../domain/task-commands.js';\nexport const o = taskOutcomes;\n",
      ),
    ).toEqual([expect.stringContaining(`${boundary}: '../domain/task-commands.js' import is restricted`)]);
    expect(
      await violations('workflows/probe.ts', "import { orderView } from '../domain/views.js';\nexport const v = orderView;\n"),
    ).toEqual([expect.stringContaining(boundary)]);
    expect(
      await violations(
        'workflows/probe.ts',
        "import type { TaskActionRequest } from '../domain/task-commands.js';\nexport type R = TaskActionRequest;\n",
      ),
    ).toEqual([]);
    // The schema modules themselves use zod.
    expect(await violations('domain/probe-commands.ts', "import { z } from 'zod';\nexport const s = z.string();\n")).toEqual([]);
    expect(await violations('workflows/probe.ts', "import { z } from 'zod';\nexport const s = z.string();\n")).toEqual([
      expect.stringContaining(boundary),
    ]);
  });

  it('keep db/ below the workflows and the API', async () => {
    expect(
      await violations(
        'db/probe.ts',
        "import { orderWorkflowId } from '../workflows/order.contract.js';\nexport const w = orderWorkflowId;\n",
      ),
    ).toEqual([expect.stringContaining(`${boundary}: '../workflows/order.contract.js' import is restricted`)]);
    expect(await violations('db/probe.ts', "import { DomainError } from '../api/errors.js';\nexport const e = DomainError;\n")).toEqual([
      expect.stringContaining(boundary),
    ]);
  });

  it('keep the API and the workflows out of activities', async () => {
    expect(
      await violations(
        'activities/probe.ts',
        "import type { PlanStep } from '../workflows/order.contract.js';\nexport type P = PlanStep;\n",
      ),
    ).toEqual([expect.stringContaining(boundary)]);
    expect(
      await violations('activities/probe.ts', "import { DomainError } from '../api/errors.js';\nexport const e = DomainError;\n"),
    ).toEqual([expect.stringContaining(boundary)]);
  });

  it('keep domain/ free of everything of ours', async () => {
    expect(
      await violations('domain/probe.ts', "import type { OrderView } from '../workflows/order.contract.js';\nexport type V = OrderView;\n"),
    ).toEqual([expect.stringContaining(boundary)]);
    expect(
      await violations('domain/probe.ts', "import type { Activities } from '../activities/index.js';\nexport type A = Activities;\n"),
    ).toEqual([expect.stringContaining(boundary)]);
  });

  it('keep SDK-internal paths out, in every folder', async () => {
    const internal = "import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';\nexport const h = historyToJSON;\n";
    for (const path of ['api/probe.ts', 'runtime/probe.ts', 'test/unit/probe.ts', 'workflows/probe.ts']) {
      expect(await violations(path, internal)).toEqual([
        expect.stringContaining(`${boundary}: '@temporalio/common/lib/proto-utils.js' import is restricted`),
      ]);
    }
    expect(await violations('api/probe.ts', "import { Client } from '@temporalio/client';\nexport const c = Client;\n")).toEqual([]);
  });
});

describe('promises', () => {
  it('fails a floating promise and accepts an awaited or explicitly discarded one', async () => {
    const send = 'async function send(): Promise<void> {}\n';
    expect(await violations('api/probe.ts', `${send}export function f() {\n  send();\n}\n`)).toEqual([
      expect.stringContaining('@typescript-eslint/no-floating-promises'),
    ]);
    expect(await violations('api/probe.ts', `${send}export async function f() {\n  await send();\n  void send();\n}\n`)).toEqual([]);
  });

  it('fails a promise handed where a void callback is expected', async () => {
    const code = "import { EventEmitter } from 'node:events';\nnew EventEmitter().on('x', async () => {});\n";
    expect(await violations('api/probe.ts', code)).toEqual([expect.stringContaining('@typescript-eslint/no-misused-promises')]);
  });
});

describe('import cycles', () => {
  it('are an error everywhere in the repository configuration', async () => {
    for (const path of ['api/app.ts', 'workflows/order.ts', 'db/schema.ts', 'test/unit/probe.ts']) {
      const config = (await eslint.calculateConfigForFile(join(root, path))) as { rules: Record<string, unknown[]> };
      expect(config.rules['orquesta/no-import-cycle']?.[0]).toBe(2);
    }
    expect(await violations('workflows/probe.ts', "export type { Self } from './probe.js';\nexport type Self = 1;\n")).toEqual([
      expect.stringContaining('orquesta/no-import-cycle: Import cycle: workflows/probe.ts -> workflows/probe.ts'),
    ]);
  });

  // The rule on its own over fixture files, since a cycle needs a second module on disk.
  let fixtures: string;
  beforeAll(() => {
    fixtures = mkdtempSync(join(tmpdir(), 'orquesta-cycles-'));
    const files: Record<string, string> = {
      'contract.ts': "import type { View } from './views.js';\nexport const names = ['a'];\nexport type Shown = View;\n",
      'views.ts': "import { names } from './contract.js';\nexport type View = { name: (typeof names)[number] };\n",
      'a.ts': "export * from './b.js';\n",
      'b.ts': "import { c } from './c.js';\nexport const b = c;\n",
      'c.ts': "export const c = 1;\nexport const a = () => import('./a.js');\n",
      'leaf.ts': "import { c } from './c.js';\nimport { z } from 'zod';\nexport const leaf = [c, z];\n",
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(fixtures, name), text);
  });
  afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

  it('count type-only, re-export and dynamic-import edges, and leave acyclic modules alone', async () => {
    const plugin = ((await import(pathToFileURL(join(root, 'lint/import-cycles.js')).href)) as { default: ESLint.Plugin }).default;
    const alone = new ESLint({
      cwd: fixtures,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { orquesta: plugin },
          rules: { 'orquesta/no-import-cycle': 'error' },
        },
      ],
    });
    const results = await alone.lintFiles(['*.ts']);
    const found = Object.fromEntries(results.map((r) => [r.filePath.slice(fixtures.length + 1), r.messages.map((m) => m.message)]));
    expect(found).toEqual({
      'contract.ts': ['Import cycle: contract.ts -> views.ts -> contract.ts'],
      'views.ts': ['Import cycle: views.ts -> contract.ts -> views.ts'],
      'a.ts': ['Import cycle: a.ts -> b.ts -> c.ts -> a.ts'],
      'b.ts': ['Import cycle: b.ts -> c.ts -> a.ts -> b.ts'],
      'c.ts': ['Import cycle: c.ts -> a.ts -> b.ts -> c.ts'],
      'leaf.ts': [],
    });
  });
});
