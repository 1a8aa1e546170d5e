import { baseConfigShape, env } from '@oleada/shared';
import { DEFAULT_SEEN_TTL_SECONDS } from '@oleada/valkey-schema';
import { z } from 'zod';

/** The consumer's environment; see docs/architecture.md. */
export const consumerConfigShape = {
  ...baseConfigShape,
  SCENARIOS: env.list().default(['blackfriday']),
  BROKER: z.enum(['kafka']).default('kafka'),
  KAFKA_BROKERS: env.list(),
  KAFKA_CLIENT_ID: env.string().optional(),
  KAFKA_GROUP_ID: env.string().default('oleada-consumer'),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).optional(),
  KAFKA_USERNAME: env.string().optional(),
  KAFKA_PASSWORD: env.string().optional(),
  KAFKA_SSL: z.stringbool().default(false),
  VALKEY_URL: env.url(),
  VALKEY_USERNAME: env.string().optional(),
  VALKEY_PASSWORD: env.string().optional(),
  DEDUP_TTL_SECONDS: env.positiveInt().default(DEFAULT_SEEN_TTL_SECONDS),
  PARTITIONS_CONCURRENTLY: env.positiveInt().default(3),
};
