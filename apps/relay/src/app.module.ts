import { Module } from '@nestjs/common';
import { RelayModule } from '@oleada/relay';
import { selectScenarios } from '@oleada/scenarios';
import { appFoundation } from '@oleada/shared';
import { relayConfig, type RelayConfig } from './config';

@Module({
  imports: [
    ...appFoundation(relayConfig, 'relay'),
    RelayModule.forRootAsync({
      config: relayConfig,
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
