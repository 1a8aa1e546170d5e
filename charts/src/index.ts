export * from './app';
export * from './config';
export * from './profiles';
export { APPS, appPods } from './charts/pipeline';
export { publicPaths } from './charts/entry';
