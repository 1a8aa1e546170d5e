import { selectScenarios } from '@oleada/scenarios';
import { LOGGER, startHttpApp, type Logger } from '@oleada/shared';
import { writerGrpcOptions } from '@oleada/writer';
import { WriterAppModule } from './app.module';
import { writerConfig } from './config';
import { startTracing } from '@oleada/telemetry';

/** A hybrid app: gRPC (every scenario's service, EventBatchService, grpc.health.v1) and HTTP (health, metrics). */
async function main(): Promise<void> {
  const tracing = startTracing('oleada-writer');
  const config = writerConfig();
  const app = await startHttpApp(WriterAppModule, {
    port: config.PORT,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    // spans the drain ended are exported before the process exits
    afterClose: () => tracing.shutdown(),
    microservices: [writerGrpcOptions(selectScenarios(config.SCENARIOS), config.GRPC_PORT, config.HOST)],
  });
  app.get<Logger>(LOGGER).info({ scenarios: config.SCENARIOS, broker: config.BROKER, brokers: config.KAFKA_BROKERS, rabbitmq: config.RABBITMQ_URL, grpcPort: config.GRPC_PORT }, 'writer started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`writer failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
