// @ts-check
/**
 * ESLint rule `orquesta/no-import-cycle`: an import that leads, through our own modules, back to the
 * file that makes it.
 *
 * Why not `import-x/no-cycle`: it skips `import type` edges, and the cycles that break our layering
 * are often half type-only (a contract importing a read-model *type* from db/, db/ importing a
 * *value* from the contract). The folder rules say where a module belongs; this rule keeps the
 * arrows pointing one way, so every edge counts. It also needs no resolver plugin: our modules
 * import each other by relative path (NodeNext, `.js` suffix naming the `.ts` source), and imports
 * are read with TypeScript's own import scanner (`preProcessFile`), so a run over the repository
 * costs milliseconds.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** @typedef {{ specifier: string, start: number, end: number }} ImportRef */

/** Source extensions we follow; a `.js` specifier names its `.ts` source under NodeNext. */
const sourceFor = {
  '.js': ['.ts', '.tsx', '.js'],
  '.mjs': ['.mts', '.mjs'],
  '.cjs': ['.cts', '.cjs'],
};
const followed = /\.(c|m)?(ts|js)x?$/;

/** @param {string} file */
function isFile(file) {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Our module that a relative specifier names, or undefined (packages, assets, unresolvable).
 * @param {string} fromFile @param {string} specifier @param {(file: string) => boolean} exists
 */
export function resolveLocal(fromFile, specifier, exists = isFile) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  const extension = /** @type {keyof typeof sourceFor | undefined} */ (Object.keys(sourceFor).find((e) => base.endsWith(e)));
  const candidates = extension
    ? sourceFor[extension].map((e) => base.slice(0, -extension.length) + e)
    : [base, `${base}.ts`, `${base}/index.ts`];
  const found = candidates.find((c) => followed.test(c) && exists(c));
  return found && !found.split(sep).includes('node_modules') ? found : undefined;
}

/**
 * Every module specifier in a source text: static, type-only, re-exports, `import()`, `import('x').T`.
 * @param {string} text @returns {ImportRef[]}
 */
export function importsOf(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => ({
    specifier: f.fileName,
    // `pos` is the opening quote of the string literal.
    start: f.pos,
    end: f.pos + f.fileName.length + 2,
  }));
}

/** @type {Map<string, { mtimeMs: number, size: number, deps: string[] }>} */
const onDisk = new Map();

/**
 * Our modules a file on disk imports, cached until the file changes.
 * @param {string} file
 */
function dependenciesOf(file) {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return [];
  }
  const cached = onDisk.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.deps;
  const deps = [
    ...new Set(
      importsOf(readFileSync(file, 'utf8'))
        .map((i) => resolveLocal(file, i.specifier))
        .filter((d) => d !== undefined),
    ),
  ];
  onDisk.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, deps });
  return deps;
}

/**
 * The shortest chain of imports from `from` back to `to`, or undefined.
 * @param {string} from @param {string} to @returns {string[] | undefined}
 */
function pathBack(from, to) {
  if (from === to) return [from];
  /** @type {Map<string, string>} */
  const cameFrom = new Map([[from, from]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const node = /** @type {string} */ (queue[i]);
    for (const next of dependenciesOf(node)) {
      if (cameFrom.has(next)) continue;
      cameFrom.set(next, node);
      if (next === to) {
        const chain = [to];
        for (let at = node; at !== from; at = /** @type {string} */ (cameFrom.get(at))) chain.unshift(at);
        chain.unshift(from);
        return chain;
      }
      queue.push(next);
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow an import that leads back, through our own modules, to the importing file (type-only imports count).',
    },
    messages: { cycle: 'Import cycle: {{chain}}' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const name = (/** @type {string} */ f) => relative(root, f).split(sep).join('/');
    return {
      Program() {
        const text = context.sourceCode.text;
        const seen = new Set();
        for (const ref of importsOf(text)) {
          // The file being linted may exist only in the editor (or in a test's lintText).
          const target = resolveLocal(file, ref.specifier, (f) => f === file || isFile(f));
          if (!target || seen.has(target)) continue;
          seen.add(target);
          const back = pathBack(target, file);
          if (!back) continue;
          context.report({
            loc: {
              start: context.sourceCode.getLocFromIndex(ref.start),
              end: context.sourceCode.getLocFromIndex(ref.end),
            },
            messageId: 'cycle',
            data: { chain: [file, ...back].map(name).join(' -> ') },
          });
        }
      },
    };
  },
};

export default {
  meta: { name: 'orquesta' },
  rules: { 'no-import-cycle': noImportCycle },
};
