import { ConfigError, configRule, env, kafkaSasl } from '@oleada/shared';
import { z } from 'zod';
import type { KafkaConnectionOptions } from './kafka/kafka-client';
import type { RabbitMQConnectionOptions } from './rabbitmq/rabbitmq-client';

/** The brokers a writer can publish to and a consumer can read from. */
export const BROKERS = ['kafka', 'rabbitmq'] as const;
export type BrokerKind = (typeof BROKERS)[number];

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

export function kafkaConnection(config: BrokerConfig, clientName: string): KafkaConnectionOptions {
  if (!config.KAFKA_BROKERS) throw new ConfigError(['KAFKA_BROKERS is required but not set']);
  return { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? clientName, sasl: kafkaSasl(config), ssl: config.KAFKA_SSL };
}

export function rabbitConnection(config: BrokerConfig, clientName: string): RabbitMQConnectionOptions {
  if (!config.RABBITMQ_URL) throw new ConfigError(['RABBITMQ_URL is required but not set']);
  return { url: config.RABBITMQ_URL, username: config.RABBITMQ_USERNAME, password: config.RABBITMQ_PASSWORD, clientName };
}
