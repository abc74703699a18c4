/**
 * No secret reaches the logs. The real API process (`orquesta.ts api`) at pino level `debug`, on a
 * database reached as a user with a password, is called with a good key, a guessed one, a revoked
 * one, and a key whose lookup fails in the database (a 500, logged with its error); a key is made
 * through the API, so a new secret crosses a response. Then every line it wrote, on stdout and
 * stderr, is searched for every key, every key's stored hash, the password and the database URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashApiKey } from '../../db/api-keys.js';
import { freePort } from '../../runtime/temporal-server.js';
import { eventually } from '../support/platform.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const suffix = `${process.pid}_${Date.now()}`;
const role = `orquesta_logs_${suffix}`;
const password = randomBytes(18).toString('hex');
const serverUrl = new URL(inject('databaseUrl'));
const asSuperuser = (database: string) => postgres(Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString(), { max: 1 });
const server = asSuperuser(serverUrl.pathname.slice(1));
let database: ReturnType<typeof postgres>;
const databaseName = `orquesta_logs_${suffix}`;
const databaseUrl = Object.assign(new URL(serverUrl), { username: role, password, pathname: `/${databaseName}` }).toString();
const adminKey = randomBytes(24).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'orquesta-logs-'));
let api: ChildProcess;
let output = '';
let url: string;

beforeAll(async () => {
  // A user with a password, owning a database of its own, which the API process migrates as it starts.
  await server.unsafe(`create role ${role} login password '${password}'`);
  await server.unsafe(`create database ${databaseName} owner ${role}`);
  database = asSuperuser(databaseName);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  api = spawn(process.execPath, ['--import', 'tsx', 'orquesta.ts', 'api'], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: 'debug',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: inject('devServerAddress'),
      PORT: String(port),
      ADMIN_API_KEY: adminKey,
      DATA_DIR: dataDir,
    },
  });
  api.stdout!.on('data', (d) => (output += d));
  api.stderr!.on('data', (d) => (output += d));
  const ready = await eventually(
    () =>
      fetch(`${url}/ready`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200 || api.exitCode !== null,
    90_000,
  );
  if (ready !== 200) throw new Error(`the API did not start:\n${output}`);
});

afterAll(async () => {
  if (api?.exitCode === null) api.kill('SIGKILL');
  await database?.end();
  await server.unsafe(`drop database if exists ${databaseName} with (force)`);
  await server.unsafe(`drop role if exists ${role}`);
  await server.end();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (method: string, path: string, key?: string, body?: unknown) =>
  fetch(url + path, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe('logs', () => {
  it('hold no API key, no key hash and no database password, at debug level, through good, guessed, revoked and failing keys', async () => {
    const created = await call('POST', '/api/v1/apiKeys', adminKey, { role: 'support', label: 'log check' });
    expect(created.status).toBe(201);
    const { id, key: supportKey } = (await created.json()) as { id: string; key: string };
    const guessed = `orq_${randomBytes(32).toString('base64url')}`;

    expect((await call('GET', '/api/v1/catalog/products', supportKey)).status).toBe(200);
    expect((await call('GET', '/api/v1/workflows/nothing-such', supportKey)).status).toBe(404);
    expect((await call('POST', '/api/v1/apiKeys', supportKey, { role: 'admin' })).status).toBe(403);
    expect((await call('GET', '/api/v1/catalog/products', guessed)).status).toBe(401);
    expect((await call('DELETE', `/api/v1/apiKeys/${id}`, adminKey)).status).toBe(204);
    expect((await call('GET', '/api/v1/catalog/products', supportKey)).status).toBe(401);

    // A key the process has never seen, looked up while the database refuses the lookup: a 500,
    // whose error (the failed query, with the key's hash as its parameter) is logged.
    const unlucky = (await (await call('POST', '/api/v1/apiKeys', adminKey, { role: 'agent' })).json()) as { key: string };
    await database.unsafe(`revoke select on api_keys from ${role}`);
    try {
      const failed = await call('GET', '/api/v1/catalog/products', unlucky.key);
      expect(failed.status).toBe(500);
      expect(await failed.json()).toMatchObject({ code: 'INTERNAL' });
    } finally {
      await database.unsafe(`grant select on api_keys to ${role}`);
    }
    expect((await call('GET', '/api/v1/catalog/products', unlucky.key)).status).toBe(200);

    api.kill('SIGTERM');
    await new Promise((resolve) => (api.exitCode !== null ? resolve(undefined) : api.on('exit', resolve)));

    const lines = output.split('\n').filter(Boolean);
    const entries = lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as { level: number; msg: string; err?: { message: string } }];
      } catch {
        return [];
      }
    });
    const secrets = {
      'bootstrap admin key': adminKey,
      'its hash': hashApiKey(adminKey),
      'the created key': supportKey,
      'its hash (as stored)': hashApiKey(supportKey),
      'the key whose lookup failed': unlucky.key,
      'its hash (the failed query parameter)': hashApiKey(unlucky.key),
      'a guessed key': guessed,
      'the guessed key hash': hashApiKey(guessed),
      'the database password': password,
      'the database URL': databaseUrl,
    };
    for (const [what, secret] of Object.entries(secrets))
      expect(
        lines.filter((line) => line.includes(secret)),
        what,
      ).toEqual([]);
    // The logs are there to be searched: every request, and the failed lookup with its statement.
    expect(entries.filter((e) => e.msg === 'incoming request').length).toBeGreaterThanOrEqual(10);
    const failure = entries.find((e) => e.msg === 'request failed');
    expect(failure?.err?.message).toMatch(/Failed query: select .*"api_keys"[\s\S]*params: \(\d+ values, not logged\): permission denied/);
  });
});
