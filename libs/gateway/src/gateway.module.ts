import { Inject, Injectable, Module, type DynamicModule, type FactoryProvider, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AnyScenario } from '@oleada/scenarios';
import { LOGGER, METRICS, type Logger, type Metrics } from '@oleada/shared';
import type { FastifyInstance } from 'fastify';
import { registerGatewayRoutes } from './gateway.routes';
import type { RateLimitOptions } from './rate-limiter';
import { RelayForwarder } from './relay-forwarder';

export const GATEWAY_OPTIONS = 'GATEWAY_OPTIONS';

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
}

/**
 * Registers the scenario routes on the app's Fastify instance, in a plugin scope of their own
 * (strict JSON parser, error handler, admission hooks that shed load before a body is read);
 * closes the relay pool on shutdown.
 */
@Injectable()
class GatewayRoutes implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayModuleOptions,
    private readonly forwarder: RelayForwarder,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    const { scenarios, maxInFlight, bodyLimit, batchMax, rateLimit, requestTimeoutMs } = this.options;
    await registerGatewayRoutes(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), {
      scenarios,
      forwarder: this.forwarder,
      logger: this.logger,
      metrics: this.metrics,
      maxInFlight,
      bodyLimit,
      batchMax,
      rateLimit,
      bodyTimeoutMs: requestTimeoutMs,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.forwarder.close();
  }
}

/** The public REST hop, its providers built from the options the factory reads (the app's validated configuration). */
@Module({})
export class GatewayModule {
  static forRootAsync(options: Pick<FactoryProvider<GatewayModuleOptions>, 'inject' | 'useFactory'>): DynamicModule {
    return {
      module: GatewayModule,
      providers: [
        { provide: GATEWAY_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          provide: RelayForwarder,
          inject: [GATEWAY_OPTIONS],
          useFactory: (gateway: GatewayModuleOptions) =>
            new RelayForwarder(gateway.relayUrl, {
              connections: gateway.relayConnections,
              timeoutMs: gateway.requestTimeoutMs,
              batchMax: gateway.relayBatchMax,
              batchConcurrency: gateway.relayBatchConcurrency,
            }),
        },
        GatewayRoutes,
      ],
    };
  }
}
