// What other projects use of the relay hop (apps/relay; the writer e2e spec's client); the rest is this lib's own.
export { RelayModule, type RelayModuleOptions } from './relay.module';
export { WriterClients } from './writer-clients';
