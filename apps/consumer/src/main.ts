import { Module, type DynamicModule } from '@nestjs/common';
import { checkBrokerConfigOrExit, createPublisher, createSubscriber } from '@oleada/broker';
import { Aggregator, ConsumerModule } from '@oleada/consumer';
import { queuesOf, selectScenarios } from '@oleada/scenarios';
import { createLogger, Health, loadConfigOrExit, METRIC_NAMES, Metrics, OpsModule, startHttpApp } from '@oleada/shared';
import Valkey from 'iovalkey';
import { consumerConfigShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('consumer', consumerConfigShape);
  checkBrokerConfigOrExit('consumer', config);
  const name = config.SERVICE_NAME ?? 'consumer';
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = new Metrics(name);
  const health = new Health();
  const scenarios = selectScenarios(config.SCENARIOS);

  const valkey = new Valkey(config.VALKEY_URL, {
    username: config.VALKEY_USERNAME,
    password: config.VALKEY_PASSWORD,
    connectionName: name,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  valkey.on('error', (error) => logger.warn({ err: error }, 'valkey connection error'));

  const queues = queuesOf(scenarios);
  const deadLetters = createPublisher(config, { name: `${name}-dlq`, logger, queues, lingerMs: 2 });
  const aggregator = new Aggregator({ scenarios, valkey, deadLetters, seenTtlSeconds: config.DEDUP_TTL_SECONDS, logger, metrics, variant: config.VALKEY_VARIANT });
  const lag = metrics.gauge(METRIC_NAMES.consumerLag, 'Records behind the end of the partition', ['topic', 'partition']);
  const subscriber = createSubscriber(config, {
    name,
    logger,
    queues,
    groupId: config.KAFKA_GROUP_ID,
    partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
    prefetch: config.RABBITMQ_PREFETCH,
    maxBatch: config.CONSUMER_BATCH_MAX,
    onLag: (topic, partition, value) => lag.set({ topic, partition: String(partition) }, value),
  });

  @Module({})
  class ConsumerAppModule {
    static forRoot(): DynamicModule {
      return {
        module: ConsumerAppModule,
        imports: [OpsModule.forRoot(health, metrics), ConsumerModule.forRoot({ aggregator, subscriber, deadLetters, valkey, health, logger })],
      };
    }
  }

  await startHttpApp(ConsumerAppModule.forRoot(), { logger, health, port: config.PORT, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  logger.info({ scenarios: config.SCENARIOS, broker: config.BROKER, group: config.KAFKA_GROUP_ID, variant: config.VALKEY_VARIANT }, 'consumer started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`consumer failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
