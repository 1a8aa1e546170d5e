import { Module } from '@nestjs/common';
import { selectScenarios } from '@oleada/scenarios';
import { appFoundation } from '@oleada/shared';
import { WriterModule } from '@oleada/writer';
import { writerConfig, type WriterConfig } from './config';

@Module({
  imports: [
    ...appFoundation(writerConfig, 'writer'),
    WriterModule.forRootAsync({
      config: writerConfig,
      useFactory: (config: WriterConfig) => ({
        name: config.SERVICE_NAME ?? 'writer',
        scenarios: selectScenarios(config.SCENARIOS),
        broker: config,
        lingerMs: config.LINGER_MS,
        batchMax: config.BATCH_MAX,
        seed: config.RANDOM_SEED,
        shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      }),
    }),
  ],
})
export class WriterAppModule {}
