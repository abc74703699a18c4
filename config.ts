import { z } from 'zod';
import { defaultRateLimits } from './api/rate-limit.js';
import { optionalString, readEnv } from './runtime/env.js';
import { defaultOrderSettings } from './workflows/order.contract.js';

const appEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** Unset: the embedded PGlite database under DATA_DIR, so a bare laptop needs no server. */
  DATABASE_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a valid API key is known without a lookup; a key revoked through another API process stops working within it. */
  API_KEY_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(10),
  /** Requests per window one API key may make, and one address without a valid key (the docs, refused keys). */
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).default(defaultRateLimits.perKey),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(defaultRateLimits.perAddress),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(defaultRateLimits.windowSeconds),
  /** The bootstrap admin key: with it an operator creates every other key through the API. */
  ADMIN_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(24, 'must be at least 24 characters').optional()),
  ACTIVATION_ADAPTER: z.enum(['simulator', 'http']).default('simulator'),
  ACTIVATION_URL: optionalString,
  BILLING_ADAPTER: z.enum(['simulator', 'http', 'pull']).default('simulator'),
  BILLING_URL: optionalString,
  NOTIFICATION_ADAPTER: z.enum(['simulator', 'http']).default('simulator'),
  NOTIFICATION_URL: optionalString,
  REGULATOR_ADAPTER: z.enum(['simulator', 'http']).default('simulator'),
  REGULATOR_URL: optionalString,
  /** The simulators that stand in for the external systems under `npm start`. */
  ACTIVATION_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).default(50),
  ACTIVATION_SIMULATOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** Per batch of recall messages. */
  NOTIFICATION_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).default(20),
  BILLING_SIMULATOR_ACK_DELAY_MS: z.coerce.number().int().min(0).default(2000),
  /** Where the billing simulator sends acknowledgements when the worker runs apart from the API. */
  BILLING_SIMULATOR_API_URL: optionalString,
  BILLING_SIMULATOR_API_KEY: optionalString,
  /** How long an order waits for the customer's acceptance before reminding them. */
  ACCEPTANCE_REMINDER_HOURS: z.coerce.number().positive().default(48),
  /** How long, reminder included, before a missing acceptance goes to fallout; longer than the reminder. */
  ACCEPTANCE_WAIT_HOURS: z.coerce.number().positive().default(168),
  /** How long an RFB waits for billing's acknowledgement before it goes to fallout. */
  RFB_ACKNOWLEDGEMENT_WAIT_HOURS: z.coerce.number().positive().default(72),
  /** Past this, POST /productOrders answers 202 with the order's Location instead of waiting on. */
  ORDER_ENTRY_ANSWER_WITHIN_SECONDS: z.coerce.number().positive().max(60).default(10),
  /** Hosts the order events hub may call back (comma-separated); unset, every registration is refused. */
  HUB_CALLBACK_HOSTS: z.string().default(''),
});

export type AppConfig = ReturnType<typeof loadAppConfig>;

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = readEnv(appEnv, env);
  for (const [adapter, url, name] of [
    [e.ACTIVATION_ADAPTER, e.ACTIVATION_URL, 'ACTIVATION_URL'],
    [e.BILLING_ADAPTER, e.BILLING_URL, 'BILLING_URL'],
    [e.NOTIFICATION_ADAPTER, e.NOTIFICATION_URL, 'NOTIFICATION_URL'],
    [e.REGULATOR_ADAPTER, e.REGULATOR_URL, 'REGULATOR_URL'],
  ] as const) {
    if (adapter === 'http' && !url) throw new Error(`Invalid configuration:\n  ${name}: required when the adapter is http`);
  }
  if (e.ACCEPTANCE_WAIT_HOURS <= e.ACCEPTANCE_REMINDER_HOURS)
    throw new Error('Invalid configuration:\n  ACCEPTANCE_WAIT_HOURS: must be longer than ACCEPTANCE_REMINDER_HOURS');
  return {
    port: e.PORT,
    host: e.HOST,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, dataDir: e.DATA_DIR },
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    adminApiKey: e.ADMIN_API_KEY,
    apiKeyCacheMs: e.API_KEY_CACHE_SECONDS * 1000,
    rateLimits: { perKey: e.RATE_LIMIT_PER_KEY, perAddress: e.RATE_LIMIT_PER_ADDRESS, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    adapters: {
      activation: {
        kind: e.ACTIVATION_ADAPTER,
        url: e.ACTIVATION_URL,
        latencyMs: e.ACTIVATION_SIMULATOR_LATENCY_MS,
        failureRate: e.ACTIVATION_SIMULATOR_FAILURE_RATE,
      },
      billing: {
        kind: e.BILLING_ADAPTER,
        url: e.BILLING_URL,
        ackDelayMs: e.BILLING_SIMULATOR_ACK_DELAY_MS,
        apiUrl: e.BILLING_SIMULATOR_API_URL,
        apiKey: e.BILLING_SIMULATOR_API_KEY,
      },
      notification: { kind: e.NOTIFICATION_ADAPTER, url: e.NOTIFICATION_URL, latencyMs: e.NOTIFICATION_SIMULATOR_LATENCY_MS },
      regulator: { kind: e.REGULATOR_ADAPTER, url: e.REGULATOR_URL },
    },
    orders: {
      acceptanceReminderMs: e.ACCEPTANCE_REMINDER_HOURS * 3600_000,
      phase1DeadlineMs: defaultOrderSettings.phase1DeadlineMs,
      acceptanceWaitMs: e.ACCEPTANCE_WAIT_HOURS * 3600_000,
      rfbAcknowledgementWaitMs: e.RFB_ACKNOWLEDGEMENT_WAIT_HOURS * 3600_000,
    },
    orderEntryAnswerWithinMs: e.ORDER_ENTRY_ANSWER_WITHIN_SECONDS * 1000,
    hubCallbackHosts: e.HUB_CALLBACK_HOSTS.split(',')
      .map((h) => h.trim())
      .filter(Boolean),
  };
}
