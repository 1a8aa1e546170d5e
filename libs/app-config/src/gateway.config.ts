import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, telemetryEnvShape, env } from '@oleada/shared';
import { DEFAULT_SEEN_TTL_SECONDS } from '@oleada/valkey-schema';
import { isIP } from 'node:net';
import { z } from 'zod';

/** The gateway's environment (apps/gateway): every variable, its default and its meaning. */
export const gatewayConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  SCENARIOS: scenariosVariable(),
  RELAY_URL: env.url().describe('base URL of the relay, e.g. `http://relay:8080`'),
  RELAY_CONNECTIONS: env.positiveInt().default(16).describe('keep-alive connections to the relay'),
  RELAY_BATCH_MAX: env.positiveInt().default(200).describe('most events in one request to the relay'),
  RELAY_BATCH_CONCURRENCY: env
    .positiveInt()
    .default(8)
    .describe('requests to the relay in flight at once per scenario; events arriving meanwhile wait and travel together in the next'),
  MAX_IN_FLIGHT: env.positiveInt().default(2048).describe('requests in flight before new ones get a fast `503`'),
  BODY_LIMIT_BYTES: env.positiveInt().default(65_536).describe('larger bodies get `413`'),
  BATCH_MAX_EVENTS: env.positiveInt().default(500).describe('most events in one `…/events:batch` request'),
  REQUEST_TIMEOUT_MS: env.positiveInt().default(5000).describe('deadline for the whole chain, and for a client to deliver its request body'),
  RATE_LIMIT_PER_SECOND: z
    .preprocess((v) => (v === '' ? undefined : v), z.coerce.number().min(0))
    .default(0)
    .describe(
      'requests per second per client address (token bucket) before `429` with `Retry-After`; 0 turns the limit off. Behind an Ingress every client shares its address unless `TRUST_PROXY` names the controller, so set it, limit there, or keep it off',
    ),
  RATE_LIMIT_BURST: env.positiveInt().optional().meta({ description: 'requests a client may send at once after being idle', byDefault: 'the rate' }),
  VALKEY_URL: env.url().describe('Valkey, where each Idempotency-Key is bound to the fingerprint of its first body (`redis://host:port`)'),
  VALKEY_USERNAME: env.string().optional().describe('its Valkey ACL user, which may only `SET` `oleada:*:idempotency:*` (from a Secret)'),
  VALKEY_PASSWORD: env.string().optional().describe('its Valkey ACL user, which may only `SET` `oleada:*:idempotency:*` (from a Secret)'),
  IDEMPOTENCY_TTL_SECONDS: env
    .positiveInt()
    .default(DEFAULT_SEEN_TTL_SECONDS)
    .describe("how long an Idempotency-Key stays bound to its first body; at least the consumers' `DEDUP_TTL_SECONDS`"),
  TRUST_PROXY: env
    .list()
    .pipe(z.array(z.string().refine(isAddressOrCidr, 'each entry must be an IP address or CIDR (e.g. 10.244.0.0/16)')))
    .optional()
    .meta({
      description:
        "comma-separated addresses/CIDRs of proxies whose `X-Forwarded-For` names the client: the rate limit's client is then the nearest address in that header not itself a trusted proxy; anyone else's header is ignored. The `local` profile sets the cluster's pod range: only Traefik's namespace reaches the gateway",
      byDefault: "none (the socket's peer is the client)",
    }),
  OLEADA_PLANTED_CPU_US: z
    .preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(1_000_000))
    .default(0)
    .describe('bench calibration aid only (`npm run bench -- --ab-planted`): µs of CPU burnt per event request; 0 installs no hook'),
};

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}
