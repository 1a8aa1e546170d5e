import { Module } from '@nestjs/common';
import { ConsumerModule } from '@oleada/consumer';
import { selectScenarios } from '@oleada/scenarios';
import { appFoundation } from '@oleada/shared';
import { consumerConfig, type ConsumerConfig } from './config';

@Module({
  imports: [
    ...appFoundation(consumerConfig, 'consumer'),
    ConsumerModule.forRootAsync({
      config: consumerConfig,
      useFactory: (config: ConsumerConfig) => ({
        name: config.SERVICE_NAME ?? 'consumer',
        scenarios: selectScenarios(config.SCENARIOS),
        broker: config,
        valkey: { url: config.VALKEY_URL, username: config.VALKEY_USERNAME, password: config.VALKEY_PASSWORD },
        groupId: config.KAFKA_GROUP_ID,
        partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
        prefetch: config.RABBITMQ_PREFETCH,
        maxBatch: config.CONSUMER_BATCH_MAX,
        dedupTtlSeconds: config.DEDUP_TTL_SECONDS,
        variant: config.VALKEY_VARIANT,
      }),
    }),
  ],
})
export class ConsumerAppModule {}
