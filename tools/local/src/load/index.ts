export * from './post-events';
export * from './wait-counted';
