// What other projects use of the consumer hop (apps/consumer, the dashboard preview, the fault suite); the rest is this lib's own.
export { Aggregator, DEAD_LETTER_METRIC } from './aggregator';
export { BrokerBatchServer } from './broker-batch.server';
export { ConsumerModule, type ConsumerModuleOptions } from './consumer.module';
