// @ts-check
/**
 * Lint holds the house (design.md, "The house"): which folder may import which, no import cycles,
 * and no promise left floating. Style is Prettier's job, so no stylistic rules here; and no broad
 * recommended set, only rules that guard a decision we made.
 */
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import orquesta from './lint/import-cycles.js';

/** A path of ours, however deep the importing file sits: `../db/x.js`, `../../db/x.js`. */
const ours = (/** @type {string} */ folder) => `^(\\.\\./)+${folder}(/|$)`;

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

/** A pattern group for `@typescript-eslint/no-restricted-imports`. */
const ban = (/** @type {string} */ regex, /** @type {string} */ message, allowTypeImports = false) => ({
  regex,
  message,
  allowTypeImports,
});

const sdkInternals = ban(
  '^@temporalio/[^/]+/lib(/|$)',
  "SDK-internal path: its layout changes between releases without notice. Import from the package's entry point.",
);

/** What must not enter the workflow bundle, from whichever of our folders it is imported. */
const sandbox = [
  ban(
    '^(\\.\\./)+(config|temporal\\.config|orquesta)\\.js$',
    'Settings are read from the environment once, outside the workflow sandbox; pass what a workflow needs in its input.',
  ),
  ban(`^(node:|(${nodeBuiltins.join('|')})(/|$))`, 'No Node built-ins in the workflow sandbox: they break determinism and the bundle.'),
  ban(
    '^zod(/|$)',
    'No zod in the workflow bundle: evaluated in the sandbox it costs ~11 ms CPU per order. Schemas live in domain/ (values, views, *-commands), for the API; validators call pure functions.',
  ),
  // The schema modules beside the sandbox: workflow code may use their types, never their values.
  ban(
    '(^|/)domain/(values|views|[a-z-]+-commands)\\.js$|^\\./(values|views|[a-z-]+-commands)\\.js$',
    'A schema module (zod) must not enter the workflow bundle: import its types only (`import type`).',
    true,
  ),
  ban(
    '^@temporalio/(client|worker|activity|testing)(/|$)',
    'Workflow code imports @temporalio/workflow (and common) only; the other SDK packages run outside the sandbox.',
  ),
];

/**
 * `import()` in either form slips past no-restricted-imports; the sandbox bundle has no use for it.
 * @type {import('eslint').Linter.RulesRecord}
 */
const staticImportsOnly = {
  'no-restricted-syntax': [
    'error',
    {
      selector: 'ImportExpression',
      message: 'No dynamic import in workflow code: the bundle is built from static imports, and the boundary rules read them.',
    },
    {
      selector: 'TSImportType',
      message: 'Use `import type` at the top, so the boundary rules see the dependency.',
    },
  ],
};

/**
 * The rule for one part of the house; every part also keeps out SDK internals.
 * @returns {import('eslint').Linter.RulesRecord}
 */
const boundaries = (/** @type {ReturnType<typeof ban>[]} */ ...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...patterns, sdkInternals] }],
});

export default defineConfig(
  // bench/peers is a package of its own (the peer engines' dependencies stay out of the platform's):
  // it is installed, and so checkable, only when `npm run bench:peers` runs.
  globalIgnores(['node_modules/', 'dist/', '.tools/', '.data/', 'db/migrations/', 'coverage/', 'test/histories/', 'bench/peers/']),
  {
    name: 'orquesta/typescript',
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, orquesta },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An unawaited activity call or client request fails silently or out of order; an async
      // callback where a sync one is expected (event emitters, array methods) drops its rejection.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'orquesta/no-import-cycle': 'error',
      ...boundaries(),
    },
  },
  {
    name: 'orquesta/workflows',
    files: ['workflows/**/*.ts'],
    rules: {
      ...boundaries(
        ban(ours('db'), 'Workflows change records only through activities; a read-model or record type belongs in domain/.'),
        ban(ours('api'), 'Workflows know nothing of the API; the API imports the workflow contracts, not the other way.'),
        ban(
          ours('activities'),
          "Workflows import activity *types* only (`import type { Activities } from '../activities/index.js'`): activity code must not enter the workflow bundle.",
          true,
        ),
        ban(ours('(runtime|catalog|bench|test)'), 'Workflows depend on domain/ and activity types only (design.md, "The house").'),
        ...sandbox,
      ),
      ...staticImportsOnly,
    },
  },
  {
    // The vocabulary imports nothing of ours, and it is imported by workflow code, so it lives
    // under the sandbox's rules as well.
    name: 'orquesta/domain',
    files: ['domain/**/*.ts'],
    ignores: ['domain/values.ts', 'domain/views.ts', 'domain/*-commands.ts'],
    rules: {
      ...boundaries(
        ban(ours('(workflows|activities|db|api|runtime|catalog|bench|test)'), 'domain/ is the vocabulary: it imports nothing of ours.'),
        ...sandbox,
      ),
      ...staticImportsOnly,
    },
  },
  {
    // Value, read-model and command schemas: zod, for the API, db/ and activities; workflow code
    // may import their types only.
    name: 'orquesta/domain-schemas',
    files: ['domain/values.ts', 'domain/views.ts', 'domain/*-commands.ts'],
    rules: boundaries(ban(ours('(workflows|activities|db|api|runtime|catalog|bench|test)'), 'domain/ imports nothing of ours.')),
  },
  {
    name: 'orquesta/db',
    files: ['db/**/*.ts'],
    rules: boundaries(
      ban(ours('workflows'), 'db/ sits below the workflows: move the shared type or list to domain/.'),
      ban(ours('api'), 'db/ sits below the API: the API imports db/, never the other way.'),
      ban(ours('activities'), 'db/ sits below the activities: activities import db/, never the other way.'),
    ),
  },
  {
    name: 'orquesta/runtime',
    files: ['runtime/**/*.ts'],
    rules: boundaries(ban(ours('api'), 'runtime/ assembles the worker and runs beside it; the API is started by the entry point.')),
  },
  {
    name: 'orquesta/activities',
    files: ['activities/**/*.ts'],
    rules: boundaries(
      ban(ours('api'), 'Activities run in the worker and know nothing of the API.'),
      ban(ours('workflows'), 'Activities sit below the workflows: take shared types from domain/ (design.md, "The house").'),
    ),
  },
);
