/**
 * A PostgreSQL server of a chaos run's own, made with the machine's server binaries (initdb,
 * pg_ctl) in a scratch folder and listening on a free port. The run restarts it as an operator
 * would (`pg_ctl restart -m fast`, what `service postgresql restart` does); restarting the
 * machine's shared server instead would break every other test run using it at that moment.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../runtime/temporal-server.js';

const run = promisify(execFile);

/** Where initdb and pg_ctl are: PG_BINDIR, `pg_config --bindir`, or the newest /usr/lib/postgresql/<version>/bin. */
async function serverBinaries(): Promise<string> {
  const candidates = [process.env.PG_BINDIR];
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {}
  if (existsSync('/usr/lib/postgresql'))
    for (const version of readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)))
      candidates.push(`/usr/lib/postgresql/${version}/bin`);
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error('--restart-postgres needs the PostgreSQL server binaries (initdb, pg_ctl); none found: set PG_BINDIR');
  return found;
}

export async function startOwnPostgres() {
  const bin = await serverBinaries();
  // PostgreSQL refuses to run as root: as root, it runs as the `postgres` user.
  const asRoot = userInfo().uid === 0;
  let owner: { uid: number; gid: number } | undefined;
  let runuser: string | undefined;
  if (asRoot) {
    try {
      owner = {
        uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
        gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
      };
    } catch {
      throw new Error('--restart-postgres as root needs a `postgres` user to run the server as');
    }
    runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p));
    if (!runuser) throw new Error('--restart-postgres as root needs runuser (util-linux) to run the server as `postgres`');
  }
  const pg = (tool: string, args: string[]) =>
    runuser ? run(runuser, ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const dir = mkdtempSync(join(tmpdir(), 'orquesta-chaos-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`;
  const start = () => pg('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', options, '-w', 'start']);
  try {
    await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`--restart-postgres could not start a PostgreSQL server of its own: ${(err as Error).message}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** Stops it the way a service restart does (connections ended, a clean shutdown) and starts it again. */
    async restart() {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      await start();
    },
    async stop() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
