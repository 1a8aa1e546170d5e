export * from './aggregator';
export * from './broker-batch.server';
export * from './consumer.constants';
export * from './consumer.controller';
export * from './consumer.module';
