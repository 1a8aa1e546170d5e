import { Module, type DynamicModule } from '@nestjs/common';
import { GatewayModule, RelayForwarder } from '@oleada/gateway';
import { selectScenarios } from '@oleada/scenarios';
import { createLogger, Health, loadConfigOrExit, Metrics, OpsModule, startHttpApp } from '@oleada/shared';
import { gatewayConfigShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('gateway', gatewayConfigShape);
  const name = config.SERVICE_NAME ?? 'gateway';
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = new Metrics(name);
  const health = new Health();
  const forwarder = new RelayForwarder(config.RELAY_URL, {
    connections: config.RELAY_CONNECTIONS,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    batchMax: config.RELAY_BATCH_MAX,
    batchConcurrency: config.RELAY_BATCH_CONCURRENCY,
  });

  @Module({})
  class GatewayAppModule {
    static forRoot(): DynamicModule {
      return {
        module: GatewayAppModule,
        imports: [
          OpsModule.forRoot(health, metrics),
          GatewayModule.forRoot({
            scenarios: selectScenarios(config.SCENARIOS),
            forwarder,
            logger,
            metrics,
            maxInFlight: config.MAX_IN_FLIGHT,
            bodyLimit: config.BODY_LIMIT_BYTES,
            batchMax: config.BATCH_MAX_EVENTS,
            rateLimit: config.RATE_LIMIT_PER_SECOND > 0 ? { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST } : undefined,
            bodyTimeoutMs: config.REQUEST_TIMEOUT_MS,
          }),
        ],
      };
    }
  }

  await startHttpApp(GatewayAppModule.forRoot(), { logger, health, port: config.PORT, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, bodyLimit: config.BODY_LIMIT_BYTES });
  logger.info({ scenarios: config.SCENARIOS, relay: config.RELAY_URL }, 'gateway started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
