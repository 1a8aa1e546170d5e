import type { Logger } from 'pino';
import { brokerConfigProblems, kafkaConnection, rabbitConnection, type BrokerConfig } from './config';
import { createKafka } from './kafka/kafka-client';
import { KafkaPublisher } from './kafka/kafka-publisher';
import { KafkaSubscriber } from './kafka/kafka-subscriber';
import type { EventPublisher, EventSubscriber } from './publisher';
import { RabbitMQPublisher } from './rabbitmq/rabbitmq-publisher';
import { RabbitMQSubscriber } from './rabbitmq/rabbitmq-subscriber';
import type { QueueSpec } from './rabbitmq/topology';

export interface PublisherSettings {
  /** Client / connection name. */
  readonly name: string;
  readonly logger: Logger;
  /** RabbitMQ queues to declare (a record's topic names its queue). */
  readonly queues: readonly QueueSpec[];
  readonly lingerMs?: number;
  readonly batchMax?: number;
  readonly onBatch?: (records: number, seconds: number, ok: boolean) => void;
}

export interface SubscriberSettings {
  readonly name: string;
  readonly logger: Logger;
  /** Kafka topics, or the RabbitMQ queues named like them. */
  readonly queues: readonly QueueSpec[];
  /** Kafka consumer group. */
  readonly groupId: string;
  /** Kafka partitions handled at once. */
  readonly partitionsConcurrently?: number;
  /** RabbitMQ unacknowledged deliveries per queue. */
  readonly prefetch?: number;
  /** Most records handed to the handler at once. */
  readonly maxBatch?: number;
  readonly onLag?: (topic: string, partition: number, lag: number) => void;
}

function ensureValid(config: BrokerConfig): void {
  const problems = brokerConfigProblems(config);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** The publisher of the configured broker (`BROKER`). */
export function createPublisher(config: BrokerConfig, settings: PublisherSettings): EventPublisher {
  ensureValid(config);
  const { name, logger, queues, ...batching } = settings;
  if (config.BROKER === 'rabbitmq') return new RabbitMQPublisher(logger, { connection: rabbitConnection(config, name), queues, ...batching });
  return new KafkaPublisher(createKafka(kafkaConnection(config, name), logger), logger, batching);
}

/** The subscriber of the configured broker (`BROKER`). */
export function createSubscriber(config: BrokerConfig, settings: SubscriberSettings): EventSubscriber {
  ensureValid(config);
  const { name, logger, queues } = settings;
  if (config.BROKER === 'rabbitmq') {
    return new RabbitMQSubscriber(logger, { connection: rabbitConnection(config, name), queues, prefetch: settings.prefetch, maxBatch: settings.maxBatch });
  }
  return new KafkaSubscriber(createKafka(kafkaConnection(config, name), logger), logger, {
    groupId: settings.groupId,
    topics: queues.map((q) => q.queue),
    partitionsConsumedConcurrently: settings.partitionsConcurrently,
    maxBatch: settings.maxBatch,
    onLag: settings.onLag,
  });
}
