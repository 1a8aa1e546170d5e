export * from './kafka/kafka-client';
export * from './kafka/kafka-publisher';
export * from './kafka/kafka-subscriber';
export * from './kafka/topics';
export * from './micro-batcher';
export * from './publisher';
