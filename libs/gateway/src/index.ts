export * from './gateway.module';
export * from './gateway.routes';
export * from './relay-forwarder';
export * from './rate-limiter';
