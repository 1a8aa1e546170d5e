export * from './aggregator';
export * from './consumer.module';
