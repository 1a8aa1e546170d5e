export * from './config';
export * from './errors';
export * from './headers';
export * from './health';
export * from './logger';
export * from './metrics';
export * from './ops.module';
export * from './shutdown';
