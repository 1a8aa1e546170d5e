export { APP_CONFIGS, APP_KINDS, type AppConfigContract, type AppVariable } from './app-configs';
export { configRows, renderConfigTable, requiredVariables, type ConfigRow } from './config-table';
export { consumerConfigRules, consumerConfigShape } from './consumer.config';
export { gatewayConfigShape } from './gateway.config';
export { relayConfigShape } from './relay.config';
export { writerConfigRules, writerConfigShape } from './writer.config';
