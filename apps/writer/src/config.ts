import { registerAs, type ConfigType } from '@nestjs/config';
import { brokerConfigShape, checkBrokerConfigOrExit } from '@oleada/broker';
import { baseConfigShape, env, loadConfigOrExit } from '@oleada/shared';
import { z } from 'zod';

/** The writer's environment; see docs/architecture.md. */
export const writerConfigShape = {
  ...baseConfigShape,
  ...brokerConfigShape,
  SCENARIOS: env.list().default(['blackfriday']),
  GRPC_PORT: env.port().default(50051),
  LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
  BATCH_MAX: env.positiveInt().default(500),
  /** Seeds the writer's decisions (olympics winners/losers) so a run can be reproduced; random when unset. */
  RANDOM_SEED: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).optional()),
};

/**
 * The writer's configuration as a Nest config namespace: validated once at start-up (the process
 * stops naming every missing or bad variable), then injected with `@Inject(writerConfig.KEY)`.
 */
export const writerConfig = registerAs('writer', () => {
  const config = loadConfigOrExit('writer', writerConfigShape);
  checkBrokerConfigOrExit('writer', config);
  return config;
});
export type WriterConfig = ConfigType<typeof writerConfig>;
