import { BrokerBatchServer } from '@oleada/consumer';
import { LOGGER, startHttpApp, type Logger } from '@oleada/shared';
import { ConsumerAppModule } from './app.module';
import { consumerConfig } from './config';
import { startTracing } from '@oleada/telemetry';

/** A hybrid app: the broker batch transport (ConsumerController's handlers) and HTTP (health, metrics). */
async function main(): Promise<void> {
  const tracing = startTracing('oleada-consumer');
  const config = consumerConfig();
  const app = await startHttpApp(ConsumerAppModule, {
    port: config.PORT,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    // spans the drain ended are exported before the process exits
    afterClose: () => tracing.shutdown(),
    microservices: [(nest) => ({ strategy: nest.get(BrokerBatchServer) })],
  });
  app.get<Logger>(LOGGER).info({ scenarios: config.SCENARIOS, broker: config.BROKER, group: config.KAFKA_GROUP_ID, variant: config.VALKEY_VARIANT }, 'consumer started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`consumer failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
