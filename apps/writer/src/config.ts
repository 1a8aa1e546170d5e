import { baseConfigShape, env } from '@oleada/shared';
import { z } from 'zod';

/** The writer's environment; see docs/architecture.md. */
export const writerConfigShape = {
  ...baseConfigShape,
  SCENARIOS: env.list().default(['blackfriday']),
  BROKER: z.enum(['kafka']).default('kafka'),
  GRPC_PORT: env.port().default(50051),
  KAFKA_BROKERS: env.list(),
  KAFKA_CLIENT_ID: env.string().optional(),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).optional(),
  KAFKA_USERNAME: env.string().optional(),
  KAFKA_PASSWORD: env.string().optional(),
  KAFKA_SSL: z.stringbool().default(false),
  LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
  BATCH_MAX: env.positiveInt().default(500),
};
