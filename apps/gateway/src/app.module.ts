import { Module } from '@nestjs/common';
import { GatewayModule } from '@oleada/gateway';
import { selectScenarios } from '@oleada/scenarios';
import { appFoundation } from '@oleada/shared';
import { gatewayConfig, type GatewayConfig } from './config';

@Module({
  imports: [
    ...appFoundation(gatewayConfig, 'gateway'),
    GatewayModule.forRootAsync({
      config: gatewayConfig,
      useFactory: (config: GatewayConfig) => ({
        scenarios: selectScenarios(config.SCENARIOS),
        relayUrl: config.RELAY_URL,
        relayConnections: config.RELAY_CONNECTIONS,
        relayBatchMax: config.RELAY_BATCH_MAX,
        relayBatchConcurrency: config.RELAY_BATCH_CONCURRENCY,
        requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
        maxInFlight: config.MAX_IN_FLIGHT,
        bodyLimit: config.BODY_LIMIT_BYTES,
        batchMax: config.BATCH_MAX_EVENTS,
        rateLimit: config.RATE_LIMIT_PER_SECOND > 0 ? { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST } : undefined,
        valkey: { url: config.VALKEY_URL, username: config.VALKEY_USERNAME, password: config.VALKEY_PASSWORD },
        idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
        plantedCpuUs: config.OLEADA_PLANTED_CPU_US,
      }),
    }),
  ],
})
export class GatewayAppModule {}
