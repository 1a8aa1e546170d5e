import { Module, type DynamicModule } from '@nestjs/common';
import { checkBrokerConfigOrExit, createPublisher } from '@oleada/broker';
import { queuesOf, seededRandom, selectScenarios } from '@oleada/scenarios';
import { createLogger, Health, loadConfigOrExit, METRIC_NAMES, Metrics, OpsModule, startHttpApp } from '@oleada/shared';
import { WriterModule, WriterServer } from '@oleada/writer';
import { writerConfigShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('writer', writerConfigShape);
  checkBrokerConfigOrExit('writer', config);
  const name = config.SERVICE_NAME ?? 'writer';
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = new Metrics(name);
  const health = new Health();
  const scenarios = selectScenarios(config.SCENARIOS);

  const batchSize = metrics.histogram(METRIC_NAMES.produceBatchRecords, 'Records per produce request (Kafka) or confirmed batch (RabbitMQ)', ['broker'], [1, 5, 10, 25, 50, 100, 250, 500, 1000]);
  const produceLatency = metrics.histogram(METRIC_NAMES.produceDuration, 'Produce round trip until acks=all or every publisher confirm', ['broker', 'outcome']);
  const publisher = createPublisher(config, {
    name,
    logger,
    queues: queuesOf(scenarios),
    lingerMs: config.LINGER_MS,
    batchMax: config.BATCH_MAX,
    onBatch: (records, seconds, ok) => {
      batchSize.observe({ broker: config.BROKER }, records);
      produceLatency.observe({ broker: config.BROKER, outcome: ok ? 'ok' : 'error' }, seconds);
    },
  });
  const random = config.RANDOM_SEED === undefined ? Math.random : seededRandom(config.RANDOM_SEED);
  const server = new WriterServer({ name, scenarios, publisher, logger, metrics, random });

  @Module({})
  class WriterAppModule {
    static forRoot(): DynamicModule {
      return {
        module: WriterAppModule,
        imports: [
          OpsModule.forRoot(health, metrics),
          WriterModule.forRoot({ server, publisher, health, logger, grpcPort: config.GRPC_PORT, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }),
        ],
      };
    }
  }

  await startHttpApp(WriterAppModule.forRoot(), { logger, health, port: config.PORT, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  logger.info({ scenarios: config.SCENARIOS, broker: config.BROKER, brokers: config.KAFKA_BROKERS, rabbitmq: config.RABBITMQ_URL }, 'writer started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`writer failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
