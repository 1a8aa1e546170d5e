import { registerAs, type ConfigType } from '@nestjs/config';
import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, env, loadConfigOrExit } from '@oleada/shared';
import { DEFAULT_SEEN_TTL_SECONDS } from '@oleada/valkey-schema';
import { z } from 'zod';

/** The gateway's environment; see docs/architecture.md. */
export const gatewayConfigShape = {
  ...baseConfigShape,
  SCENARIOS: scenariosVariable(),
  RELAY_URL: env.url(),
  RELAY_CONNECTIONS: env.positiveInt().default(16),
  /** Most events in one request to the relay. */
  RELAY_BATCH_MAX: env.positiveInt().default(200),
  /** Requests to the relay in flight at once per scenario; events arriving meanwhile travel in the next. */
  RELAY_BATCH_CONCURRENCY: env.positiveInt().default(8),
  MAX_IN_FLIGHT: env.positiveInt().default(2048),
  BODY_LIMIT_BYTES: env.positiveInt().default(65_536),
  BATCH_MAX_EVENTS: env.positiveInt().default(500),
  REQUEST_TIMEOUT_MS: env.positiveInt().default(5000),
  /** Requests per second per client address before 429; 0 turns the limit off. */
  RATE_LIMIT_PER_SECOND: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().min(0)).default(0),
  /** Requests a client may send at once after being idle. @default RATE_LIMIT_PER_SECOND */
  RATE_LIMIT_BURST: env.positiveInt().optional(),
  /** Valkey, where each Idempotency-Key is bound to the fingerprint of its first request's body. */
  VALKEY_URL: env.url(),
  VALKEY_USERNAME: env.string().optional(),
  VALKEY_PASSWORD: env.string().optional(),
  /** How long an Idempotency-Key stays bound to its first body: at least the consumers' DEDUP_TTL_SECONDS. */
  IDEMPOTENCY_TTL_SECONDS: env.positiveInt().default(DEFAULT_SEEN_TTL_SECONDS),
  /** Bench calibration aid (npm run bench -- --ab-planted): µs of CPU burnt per event request; 0 (off) outside the bench. */
  OLEADA_PLANTED_CPU_US: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(1_000_000)).default(0),
};

/**
 * The gateway's configuration as a Nest config namespace: validated once at start-up (the process
 * stops naming every missing or bad variable), then injected with `@Inject(gatewayConfig.KEY)`.
 */
export const gatewayConfig = registerAs('gateway', () => loadConfigOrExit('gateway', gatewayConfigShape));
export type GatewayConfig = ConfigType<typeof gatewayConfig>;
