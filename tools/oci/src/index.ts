export * from './auth';
export * from './config';
export * from './dataset-artifact';
export * from './digest';
export * from './media-types';
export * from './reference';
export * from './registry-client';
