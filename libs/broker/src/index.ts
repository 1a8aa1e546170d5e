export { createKafka } from './kafka/kafka-client';
export { ensureTopics } from './kafka/topics';
export type { BatchHandler, EventPublisher, EventSubscriber, IncomingRecord, OutgoingRecord } from './publisher';
export { connectRabbitMQ } from './rabbitmq/rabbitmq-client';
export { assertQueues } from './rabbitmq/topology';
export { type BrokerConfig, brokerConfigShape, type BrokerKind } from './config';
export { createPublisher, createSubscriber } from './factory';
