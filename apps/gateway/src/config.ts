import { registerAs, type ConfigType } from '@nestjs/config';
import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, env, loadConfigOrExit } from '@oleada/shared';
import { DEFAULT_SEEN_TTL_SECONDS } from '@oleada/valkey-schema';
import { isIP } from 'node:net';
import { z } from 'zod';
import { telemetryEnvShape } from '@oleada/telemetry';

/** The gateway's environment; see docs/architecture.md. */
export const gatewayConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
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
  /**
   * Proxies (addresses or CIDRs) whose `X-Forwarded-For` names the client: the rate limit's client
   * address is then the nearest address in that header not itself a trusted proxy. From any other
   * peer the header is ignored. @default - none (the socket's peer is the client)
   */
  TRUST_PROXY: env
    .list()
    .pipe(z.array(z.string().refine(isAddressOrCidr, 'each entry must be an IP address or CIDR (e.g. 10.244.0.0/16)')))
    .optional(),
  /** Bench calibration aid (npm run bench -- --ab-planted): µs of CPU burnt per event request; 0 (off) outside the bench. */
  OLEADA_PLANTED_CPU_US: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(1_000_000)).default(0),
};

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * The gateway's configuration as a Nest config namespace: validated once at start-up (the process
 * stops naming every missing or bad variable), then injected with `@Inject(gatewayConfig.KEY)`.
 */
export const gatewayConfig = registerAs('gateway', () => loadConfigOrExit('gateway', gatewayConfigShape));
export type GatewayConfig = ConfigType<typeof gatewayConfig>;
