import { registerAs, type ConfigType } from '@nestjs/config';
import { brokerConfigRule, brokerConfigShape } from '@oleada/broker';
import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, env, loadConfigOrExit } from '@oleada/shared';
import { DEFAULT_SEEN_TTL_SECONDS } from '@oleada/valkey-schema';
import { z } from 'zod';
import { telemetryEnvShape } from '@oleada/telemetry';

/** The consumer's environment; see docs/architecture.md. */
export const consumerConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  ...brokerConfigShape,
  SCENARIOS: scenariosVariable(),
  KAFKA_GROUP_ID: env.string().default('oleada-consumer'),
  PARTITIONS_CONCURRENTLY: env.positiveInt().default(6),
  RABBITMQ_PREFETCH: env.positiveInt().default(1000),
  /** Most records applied to Valkey in one call. @default 1000 (Kafka), 500 (RabbitMQ) */
  CONSUMER_BATCH_MAX: env.positiveInt().optional(),
  VALKEY_URL: env.url(),
  VALKEY_USERNAME: env.string().optional(),
  VALKEY_PASSWORD: env.string().optional(),
  /** Keeps this consumer's aggregates apart (`oleada:<scenario>~<variant>:…`), e.g. one per broker when both run. */
  VALKEY_VARIANT: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[a-z0-9-]{1,32}$/).optional()),
  DEDUP_TTL_SECONDS: env.positiveInt().default(DEFAULT_SEEN_TTL_SECONDS),
};

/**
 * The consumer's configuration as a Nest config namespace: validated once at start-up (the process
 * stops naming every missing or bad variable), then injected with `@Inject(consumerConfig.KEY)`.
 */
export const consumerConfig = registerAs('consumer', () => loadConfigOrExit('consumer', consumerConfigShape, process.env, [brokerConfigRule]));
export type ConsumerConfig = ConfigType<typeof consumerConfig>;
