import { Module, type DynamicModule } from '@nestjs/common';
import { createKafka, KafkaPublisher } from '@oleada/broker';
import { selectScenarios } from '@oleada/scenarios';
import { createLogger, Health, kafkaSasl, loadConfigOrExit, Metrics, OpsModule, startHttpApp } from '@oleada/shared';
import { WriterModule, WriterServer } from '@oleada/writer';
import { writerConfigShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('writer', writerConfigShape);
  const name = config.SERVICE_NAME ?? 'writer';
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = new Metrics(name);
  const health = new Health();
  const scenarios = selectScenarios(config.SCENARIOS);

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? name, sasl: kafkaSasl(config), ssl: config.KAFKA_SSL }, logger);
  const batchSize = metrics.histogram('oleada_produce_batch_records', 'Records per produce request', [], [1, 5, 10, 25, 50, 100, 250, 500, 1000]);
  const produceLatency = metrics.histogram('oleada_produce_duration_seconds', 'Produce request round trip until acks=all', ['outcome']);
  const publisher = new KafkaPublisher(kafka, logger, {
    lingerMs: config.LINGER_MS,
    batchMax: config.BATCH_MAX,
    onBatch: (records, seconds, ok) => {
      batchSize.observe(records);
      produceLatency.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
    },
  });
  const server = new WriterServer({ name, scenarios, publisher, logger, metrics });

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
  logger.info({ scenarios: config.SCENARIOS, brokers: config.KAFKA_BROKERS }, 'writer started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`writer failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
