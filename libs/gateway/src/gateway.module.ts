import { Module, type DynamicModule, type NestModule, type Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AnyScenario } from '@oleada/scenarios';
import { hopModule, hopModuleAsync, LOGGER, METRICS, type HopModuleAsyncOptions, type Logger, type Metrics } from '@oleada/shared';
import type { FastifyInstance } from 'fastify';
import Valkey from 'iovalkey';
import { GatewayAdmission } from './gateway-admission';
import { GATEWAY_OPTIONS } from './gateway.constants';
import { GatewayMetrics } from './gateway.metrics';
import { GatewayService } from './gateway.service';
import { IDEMPOTENCY_CLAIM_TIMEOUT_MS, IdempotencyStore } from './idempotency-store';
import type { RateLimitOptions } from './rate-limiter';
import { RelayForwarder } from './relay-forwarder';
import { scenarioEventsController } from './scenario-events.controller';

export interface GatewayModuleOptions {
  readonly scenarios: readonly AnyScenario[];
  /** Base URL of the relay. */
  readonly relayUrl: string;
  /** Keep-alive connections to the relay. */
  readonly relayConnections: number;
  /** Most events in one request to the relay. */
  readonly relayBatchMax: number;
  /** Requests to the relay in flight per scenario. */
  readonly relayBatchConcurrency: number;
  /** Deadline of the whole chain, and for a client to deliver its body. */
  readonly requestTimeoutMs: number;
  /** Requests in flight before new ones get a fast 503. */
  readonly maxInFlight: number;
  /** Largest body of a single event, in bytes. */
  readonly bodyLimit: number;
  /** Most events in one batch. */
  readonly batchMax: number;
  /** Requests per second per client address before 429; unlimited when absent. */
  readonly rateLimit?: RateLimitOptions;
  /** Valkey, where each Idempotency-Key is bound to the fingerprint of its first request (IdempotencyStore). */
  readonly valkey: { readonly url: string; readonly username?: string; readonly password?: string };
  /** How long a key stays bound: at least the consumers' DEDUP_TTL_SECONDS. */
  readonly idempotencyTtlSeconds: number;
  /** A forwarder made elsewhere (a test's fake relay), closed by the module on shutdown; by default one for `relayUrl`. */
  readonly forwarder?: RelayForwarder;
  /** Bench calibration aid: µs of CPU burnt per event request (AdmissionOptions.plantedCpuUs); off when absent or 0. */
  readonly plantedCpuUs?: number;
}

/**
 * The public REST hop: a controller per served scenario (scenarioEventsController), its pipes, the
 * service that forwards to the relay, and the admission hooks (GatewayAdmission) installed on the
 * app's Fastify instance before Nest registers the routes (a module's `configure` runs then).
 */
@Module({})
export class GatewayModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly admission: GatewayAdmission,
  ) {}

  configure(): void {
    this.admission.install(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }

  /** The module from the app's config namespace (hopModuleAsync): a controller per served scenario. */
  static forRootAsync<C>(options: HopModuleAsyncOptions<C, GatewayModuleOptions>): Promise<DynamicModule> {
    return hopModuleAsync(GATEWAY_OPTIONS, options, GatewayModule.with);
  }

  /** The module from options at hand (tests). */
  static forRoot(options: GatewayModuleOptions): DynamicModule {
    return hopModule(GATEWAY_OPTIONS, options, GatewayModule.with);
  }

  private static with(scenarios: readonly AnyScenario[], optionsProvider: Provider): DynamicModule {
    return {
      module: GatewayModule,
      controllers: scenarios.map(scenarioEventsController),
      providers: [
        optionsProvider,
        { provide: GatewayMetrics, inject: [METRICS], useFactory: (metrics: Metrics) => new GatewayMetrics(metrics) },
        {
          provide: GatewayAdmission,
          inject: [GATEWAY_OPTIONS, GatewayMetrics],
          useFactory: (gateway: GatewayModuleOptions, metrics: GatewayMetrics) =>
            new GatewayAdmission({ maxInFlight: gateway.maxInFlight, bodyLimit: gateway.bodyLimit, rateLimit: gateway.rateLimit, bodyTimeoutMs: gateway.requestTimeoutMs, plantedCpuUs: gateway.plantedCpuUs }, metrics),
        },
        {
          provide: RelayForwarder,
          inject: [GATEWAY_OPTIONS, LOGGER],
          useFactory: (gateway: GatewayModuleOptions, logger: Logger) =>
            gateway.forwarder ??
            new RelayForwarder(gateway.relayUrl, {
              connections: gateway.relayConnections,
              timeoutMs: gateway.requestTimeoutMs,
              batchMax: gateway.relayBatchMax,
              batchConcurrency: gateway.relayBatchConcurrency,
              logger,
            }),
        },
        {
          provide: IdempotencyStore,
          inject: [GATEWAY_OPTIONS],
          useFactory: ({ valkey, requestTimeoutMs, idempotencyTtlSeconds }: GatewayModuleOptions) =>
            new IdempotencyStore(
              // While Valkey is away a claim fails at the first failed reconnect or within a short
              // timeout, and the request goes on unchecked (GatewayService.claim): never held for an
              // outage's length. (The offline queue stays: claims sent while connecting wait for it.)
              new Valkey(valkey.url, {
                username: valkey.username,
                password: valkey.password,
                connectionName: 'gateway',
                maxRetriesPerRequest: 0,
                commandTimeout: Math.min(IDEMPOTENCY_CLAIM_TIMEOUT_MS, requestTimeoutMs),
              }),
              idempotencyTtlSeconds,
            ),
        },
        GatewayService,
      ],
    };
  }
}
