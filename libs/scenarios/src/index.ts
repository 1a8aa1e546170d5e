export * from './blackfriday/blackfriday.scenario';
export * from './random';
export * from './registry';
export * from './scenario';
