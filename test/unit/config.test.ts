import { describe, expect, it } from 'vitest';
import { loadAppConfig } from '../../config.js';
import { loadTemporalConfig } from '../../temporal.config.js';

describe('configuration', () => {
  it('has working defaults for a bare laptop', () => {
    expect(loadAppConfig({})).toMatchObject({
      port: 3000,
      database: { url: undefined, dataDir: '.data' },
      adapters: { activation: { kind: 'simulator' }, billing: { kind: 'simulator' } },
      rateLimits: { perKey: 120_000, perAddress: 1_200, windowSeconds: 60 },
    });
    expect(loadTemporalConfig({})).toMatchObject({
      address: undefined,
      namespace: 'default',
      taskQueues: { orders: 'orders' },
      tls: undefined,
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
    [{ ACTIVATION_ADAPTER: 'http' }, 'ACTIVATION_URL'],
    [{ RATE_LIMIT_PER_KEY: '0' }, 'RATE_LIMIT_PER_KEY'],
    [{ RATE_LIMIT_WINDOW_SECONDS: 'a minute' }, 'RATE_LIMIT_WINDOW_SECONDS'],
  ])('fails fast naming the bad variable: %j', (env, name) => {
    expect(() => loadAppConfig(env)).toThrow(new RegExp(`Invalid configuration:[\\s\\S]*${name}`));
  });

  it.each([
    [{ TEMPORAL_NAMESPACE: 'bad namespace' }, 'TEMPORAL_NAMESPACE'],
    [{ WORKER_MAX_CACHED_WORKFLOWS: '-1' }, 'WORKER_MAX_CACHED_WORKFLOWS'],
    [{ TEMPORAL_TLS_CERT_PATH: '/x.pem' }, 'TEMPORAL_TLS_KEY_PATH'],
  ])('fails fast on Temporal settings: %j', (env, name) => {
    expect(() => loadTemporalConfig(env)).toThrow(new RegExp(name));
  });

  it('turns on TLS for a hosted cluster with an API key, and prefixes task queues', () => {
    const t = loadTemporalConfig({
      TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233',
      TEMPORAL_API_KEY: 'k',
      TEMPORAL_TASK_QUEUE_PREFIX: 'staging-',
    });
    expect(t).toMatchObject({
      address: 'ns.tmprl.cloud:7233',
      apiKey: 'k',
      tls: { clientCert: undefined },
      taskQueues: { orders: 'staging-orders', cases: 'staging-cases' },
    });
  });
});
