export * from './relay.module';
export * from './relay.routes';
export * from './writer-clients';
export * from './writer-fanout';
