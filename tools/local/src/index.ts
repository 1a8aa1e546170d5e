export * from './infra';
export * from './stack';
export * from './load';
export * from './testing';
export * from './cli-args';
export * from './reports';
export * from './trace/jaeger-query';
