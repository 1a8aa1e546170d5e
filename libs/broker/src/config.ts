import { ConfigError, kafkaSasl, type BrokerConfig } from '@oleada/shared';
import type { KafkaConnectionOptions } from './kafka/kafka-client';
import type { RabbitMQConnectionOptions } from './rabbitmq/rabbitmq-client';

// The broker variables, their check and the consumers' batch defaults live in libs/shared (see there why).
export { BROKERS, brokerConfigProblems, brokerConfigRule, brokerConfigShape, DEFAULT_CONSUMER_BATCH_MAX, type BrokerConfig, type BrokerKind } from '@oleada/shared';

export function kafkaConnection(config: BrokerConfig, clientName: string): KafkaConnectionOptions {
  if (!config.KAFKA_BROKERS) throw new ConfigError(['KAFKA_BROKERS is required but not set']);
  return { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? clientName, sasl: kafkaSasl(config), ssl: config.KAFKA_SSL };
}

export function rabbitConnection(config: BrokerConfig, clientName: string): RabbitMQConnectionOptions {
  if (!config.RABBITMQ_URL) throw new ConfigError(['RABBITMQ_URL is required but not set']);
  return { url: config.RABBITMQ_URL, username: config.RABBITMQ_USERNAME, password: config.RABBITMQ_PASSWORD, clientName };
}
