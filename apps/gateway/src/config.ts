import { baseConfigShape, env } from '@oleada/shared';

/** The gateway's environment; see docs/architecture.md. */
export const gatewayConfigShape = {
  ...baseConfigShape,
  SCENARIOS: env.list().default(['blackfriday']),
  RELAY_URL: env.url(),
  RELAY_CONNECTIONS: env.positiveInt().default(64),
  MAX_IN_FLIGHT: env.positiveInt().default(2048),
  BODY_LIMIT_BYTES: env.positiveInt().default(65_536),
  BATCH_MAX_EVENTS: env.positiveInt().default(500),
  REQUEST_TIMEOUT_MS: env.positiveInt().default(5000),
};
