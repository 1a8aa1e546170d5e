import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { RelayModule } from '@oleada/relay';
import { selectScenarios } from '@oleada/scenarios';
import { OpsModule } from '@oleada/shared';
import { relayConfig, type RelayConfig } from './config';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [relayConfig] }),
    OpsModule.forRootAsync({ inject: [relayConfig.KEY], useFactory: (config: RelayConfig) => ({ name: config.SERVICE_NAME ?? 'relay', logLevel: config.LOG_LEVEL }) }),
    RelayModule.forRootAsync({
      inject: [relayConfig.KEY],
      useFactory: (config: RelayConfig) => ({
        scenarios: selectScenarios(config.SCENARIOS),
        writerGroups: [config.WRITER_TARGETS, ...config.FANOUT_TARGETS],
        deadlineMs: config.GRPC_DEADLINE_MS,
        maxInFlight: config.MAX_IN_FLIGHT,
        batchMax: config.BATCH_MAX_EVENTS,
      }),
    }),
  ],
})
export class RelayAppModule {}
