import { Module, type DynamicModule } from '@nestjs/common';
import { createKafka, KafkaPublisher, KafkaSubscriber } from '@oleada/broker';
import { Aggregator, ConsumerModule } from '@oleada/consumer';
import { selectScenarios } from '@oleada/scenarios';
import { createLogger, Health, kafkaSasl, loadConfigOrExit, Metrics, OpsModule, startHttpApp } from '@oleada/shared';
import Valkey from 'iovalkey';
import { consumerConfigShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('consumer', consumerConfigShape);
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

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? name, sasl: kafkaSasl(config), ssl: config.KAFKA_SSL }, logger);
  const deadLetters = new KafkaPublisher(kafka, logger, { lingerMs: 2 });
  const aggregator = new Aggregator({ scenarios, valkey, deadLetters, seenTtlSeconds: config.DEDUP_TTL_SECONDS, logger, metrics });
  const lag = metrics.gauge('oleada_consumer_lag', 'Records behind the end of the partition', ['topic', 'partition']);
  const subscriber = new KafkaSubscriber(kafka, logger, {
    groupId: config.KAFKA_GROUP_ID,
    topics: scenarios.flatMap((s) => s.topics),
    partitionsConsumedConcurrently: config.PARTITIONS_CONCURRENTLY,
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
  logger.info({ scenarios: config.SCENARIOS, group: config.KAFKA_GROUP_ID }, 'consumer started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`consumer failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
