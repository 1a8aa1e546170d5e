import { LOGGER, startHttpApp, type Logger } from '@oleada/shared';
import { GatewayAppModule } from './app.module';
import { gatewayConfig } from './config';
import { startTracing } from '@oleada/telemetry';

async function main(): Promise<void> {
  const tracing = startTracing('oleada-gateway');
  const config = gatewayConfig();
  const app = await startHttpApp(GatewayAppModule, {
    port: config.PORT,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    // spans the drain ended are exported before the process exits
    afterClose: () => tracing.shutdown(),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
  });
  app.get<Logger>(LOGGER).info({ scenarios: config.SCENARIOS, relay: config.RELAY_URL }, 'gateway started');
}

void main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
