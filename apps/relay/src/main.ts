import { Module, type DynamicModule } from '@nestjs/common';
import { RelayModule, WriterClients, WriterFanout } from '@oleada/relay';
import { selectScenarios } from '@oleada/scenarios';
import { createLogger, Health, loadConfigOrExit, Metrics, OpsModule, startHttpApp } from '@oleada/shared';
import { relayConfigShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('relay', relayConfigShape);
  const name = config.SERVICE_NAME ?? 'relay';
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = new Metrics(name);
  const health = new Health();
  const groups = [config.WRITER_TARGETS, ...config.FANOUT_TARGETS].map((targets) => new WriterClients(targets, config.GRPC_DEADLINE_MS));
  const clients = groups.length === 1 ? groups[0] : new WriterFanout(groups);

  @Module({})
  class RelayAppModule {
    static forRoot(): DynamicModule {
      return {
        module: RelayAppModule,
        imports: [
          OpsModule.forRoot(health, metrics),
          RelayModule.forRoot({ scenarios: selectScenarios(config.SCENARIOS), clients, logger, metrics, maxInFlight: config.MAX_IN_FLIGHT, batchMax: config.BATCH_MAX_EVENTS }),
        ],
      };
    }
  }

  await startHttpApp(RelayAppModule.forRoot(), { logger, health, port: config.PORT, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  logger.info({ scenarios: config.SCENARIOS, writers: config.WRITER_TARGETS, fanout: config.FANOUT_TARGETS }, 'relay started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`relay failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
