import { registerAs, type ConfigType } from '@nestjs/config';
import { brokerConfigRule, brokerConfigShape } from '@oleada/broker';
import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, env, loadConfigOrExit } from '@oleada/shared';
import { z } from 'zod';
import { telemetryEnvShape } from '@oleada/telemetry';

/** The writer's environment; see docs/architecture.md. */
export const writerConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  ...brokerConfigShape,
  SCENARIOS: scenariosVariable(),
  GRPC_PORT: env.port().default(50051),
  LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
  BATCH_MAX: env.positiveInt().default(500),
  /**
   * Seeds the writer's decisions (olympics winners/losers), which follow from each event's id: every
   * writer with the same seed decides the same for the same event. @default 0
   */
  RANDOM_SEED: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).optional()),
};

/**
 * The writer's configuration as a Nest config namespace: validated once at start-up (the process
 * stops naming every missing or bad variable), then injected with `@Inject(writerConfig.KEY)`.
 */
export const writerConfig = registerAs('writer', () => loadConfigOrExit('writer', writerConfigShape, process.env, [brokerConfigRule]));
export type WriterConfig = ConfigType<typeof writerConfig>;
