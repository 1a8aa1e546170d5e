import { LOGGER, startHttpApp, type Logger } from '@oleada/shared';
import { RelayAppModule } from './app.module';
import { relayConfig } from './config';
import { startTracing } from '@oleada/telemetry';

async function main(): Promise<void> {
  const tracing = startTracing('oleada-relay');
  const config = relayConfig();
  const app = await startHttpApp(RelayAppModule, {
    port: config.PORT,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    // spans the drain ended are exported before the process exits
    afterClose: () => tracing.shutdown(),
  });
  app.get<Logger>(LOGGER).info({ scenarios: config.SCENARIOS, writers: config.WRITER_TARGETS, fanout: config.FANOUT_TARGETS }, 'relay started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`relay failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
