import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, telemetryEnvShape, brokerConfigRule, brokerConfigShape, DEFAULT_CONSUMER_BATCH_MAX, env } from '@oleada/shared';
import { DEFAULT_SEEN_TTL_SECONDS } from '@oleada/valkey-schema';
import { z } from 'zod';

/** The consumer's environment (apps/consumer): every variable, its default and its meaning. */
export const consumerConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  ...brokerConfigShape,
  SCENARIOS: scenariosVariable(),
  KAFKA_GROUP_ID: env.string().default('oleada-consumer').describe('Kafka consumer group'),
  PARTITIONS_CONCURRENTLY: env
    .positiveInt()
    .default(6)
    .describe(
      'Kafka partitions fetched at once; what one fetch brings from all of them is applied in one Valkey call and committed together (each partition only after its own records were applied)',
    ),
  RABBITMQ_PREFETCH: env.positiveInt().default(1000).describe('unacknowledged RabbitMQ deliveries per queue'),
  CONSUMER_BATCH_MAX: env
    .positiveInt()
    .optional()
    .meta({ description: 'most records applied to Valkey in one call', byDefault: `\`${DEFAULT_CONSUMER_BATCH_MAX.kafka}\` (Kafka), \`${DEFAULT_CONSUMER_BATCH_MAX.rabbitmq}\` (RabbitMQ)` }),
  VALKEY_URL: env.url().describe('`redis://host:port` (no credentials in it)'),
  VALKEY_USERNAME: env.string().optional().describe('its Valkey ACL user (from a Secret)'),
  VALKEY_PASSWORD: env.string().optional().describe('its Valkey ACL user (from a Secret)'),
  VALKEY_VARIANT: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[a-z0-9-]{1,32}$/).optional())
    .describe("keeps this consumer's aggregates apart (`oleada:<scenario>~<variant>:…`), e.g. `kafka` / `rabbitmq` when both brokers run"),
  DEDUP_TTL_SECONDS: env.positiveInt().default(DEFAULT_SEEN_TTL_SECONDS).describe('how long an event id is remembered'),
};

/** Checks across the consumer's variables, reported with the others at start-up. */
export const consumerConfigRules = [brokerConfigRule];
