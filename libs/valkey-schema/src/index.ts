export * from './aggregates';
export * from './apply';
export * from './function';
export * from './keys';
export * from './readers';
export * from './idempotency';
