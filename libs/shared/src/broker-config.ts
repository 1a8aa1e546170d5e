import { z } from 'zod';
import { ConfigError, configRule, env, kafkaSasl } from './config';

// The broker variables of the writer and the consumer. They live here rather than in libs/broker so
// that an app's configuration (libs/app-config) can spell them without pulling the broker clients
// (kafkajs, amqplib) into the gateway's and the relay's images; libs/broker re-exports them.

/** The brokers a writer can publish to and a consumer can read from. */
export const BROKERS = ['kafka', 'rabbitmq'] as const;
export type BrokerKind = (typeof BROKERS)[number];

/**
 * Most records a consumer applies to Valkey in one call, per broker, when CONSUMER_BATCH_MAX is not
 * set: the broker subscribers' (libs/broker) own defaults.
 */
export const DEFAULT_CONSUMER_BATCH_MAX = { kafka: 1000, rabbitmq: 500 } as const satisfies Record<BrokerKind, number>;

/** Broker variables shared by the writer and the consumer; which are required depends on `BROKER`. */
export const brokerConfigShape = {
  BROKER: z.enum(BROKERS).default('kafka').describe('`kafka` or `rabbitmq`'),
  KAFKA_BROKERS: env.list().optional().meta({ description: 'comma-separated `host:port`', requiredWith: 'BROKER=kafka' }),
  KAFKA_CLIENT_ID: env.string().optional().meta({ description: 'Kafka client id', byDefault: 'service name' }),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).optional().describe('SCRAM credentials (from a Secret)'),
  KAFKA_USERNAME: env.string().optional().describe('SCRAM credentials (from a Secret)'),
  KAFKA_PASSWORD: env.string().optional().describe('SCRAM credentials (from a Secret)'),
  KAFKA_SSL: z.stringbool().default(false).describe('TLS to the Kafka brokers'),
  RABBITMQ_URL: env
    .url()
    .optional()
    .meta({ description: '`amqp://host:port/vhost`, never with credentials: they come from `RABBITMQ_USERNAME`/`RABBITMQ_PASSWORD`', requiredWith: 'BROKER=rabbitmq' }),
  RABBITMQ_USERNAME: env.string().optional().describe('RabbitMQ user (from a Secret; locally generated once into `.cache/rabbitmq.credentials.json`)'),
  RABBITMQ_PASSWORD: env.string().optional().describe('RabbitMQ user (from a Secret; locally generated once into `.cache/rabbitmq.credentials.json`)'),
};
export type BrokerConfig = z.infer<z.ZodObject<typeof brokerConfigShape>>;

/** What the chosen broker needs and is not set, each naming its variable. */
export function brokerConfigProblems(config: BrokerConfig): string[] {
  const problems: string[] = [];
  if (config.BROKER === 'kafka') {
    if (!config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required but not set (BROKER=kafka)');
    try {
      kafkaSasl(config);
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [(error as Error).message]));
    }
  } else {
    if (!config.RABBITMQ_URL) problems.push('RABBITMQ_URL is required but not set (BROKER=rabbitmq)');
    else if (!/^amqps?:\/\//.test(config.RABBITMQ_URL)) problems.push('RABBITMQ_URL is invalid: must start with amqp:// or amqps://');
    else if (new URL(config.RABBITMQ_URL).password) problems.push('RABBITMQ_URL is invalid: put the password in RABBITMQ_PASSWORD, not in the URL');
    if (!config.RABBITMQ_USERNAME !== !config.RABBITMQ_PASSWORD) problems.push('RABBITMQ_USERNAME and RABBITMQ_PASSWORD are required together');
  }
  return problems;
}

/** The broker check as a rule of an app's configuration, reported with its other problems. */
export const brokerConfigRule = configRule(brokerConfigShape, brokerConfigProblems);
