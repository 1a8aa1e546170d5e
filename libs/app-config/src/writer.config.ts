import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, telemetryEnvShape, brokerConfigRule, brokerConfigShape, env } from '@oleada/shared';
import { z } from 'zod';

/** The writer's environment (apps/writer): every variable, its default and its meaning. */
export const writerConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  ...brokerConfigShape,
  SCENARIOS: scenariosVariable(),
  GRPC_PORT: env.port().default(50051).describe("gRPC listen port (every scenario's service, EventBatchService and grpc.health.v1)"),
  LINGER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .describe(
      'how long a produce request waits for more records when none is in flight (while one is, one at a time, the next collects everything that arrives); 0 (the default) sends what was published in the same turn of the event loop at once; under load the request in flight does the batching',
    ),
  BATCH_MAX: env.positiveInt().default(500).describe('records per produce request'),
  RANDOM_SEED: z
    .preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).default(0))
    .describe(
      "seeds the writer's decisions (olympics winners/losers), which follow from each event's id: every writer with the same seed (both broker paths, a retry, a redelivery) decides the same for the same event",
    ),
};

/** Checks across the writer's variables, reported with the others at start-up. */
export const writerConfigRules = [brokerConfigRule];
