import { baseConfigShape, env } from '@oleada/shared';

/** The relay's environment; see docs/architecture.md. */
export const relayConfigShape = {
  ...baseConfigShape,
  SCENARIOS: env.list().default(['blackfriday']),
  WRITER_TARGETS: env.list(),
  GRPC_DEADLINE_MS: env.positiveInt().default(3000),
  MAX_IN_FLIGHT: env.positiveInt().default(2048),
};
