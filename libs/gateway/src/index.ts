// What other projects use of the gateway hop (apps/gateway); the rest is this lib's own.
export { GatewayModule, type GatewayModuleOptions } from './gateway.module';
