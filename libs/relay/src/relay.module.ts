import { Inject, Injectable, Module, type DynamicModule, type FactoryProvider, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AnyScenario } from '@oleada/scenarios';
import { LOGGER, METRICS, type Logger, type Metrics } from '@oleada/shared';
import type { FastifyInstance } from 'fastify';
import { registerRelayRoutes } from './relay.routes';
import { WriterClients } from './writer-clients';
import { WriterFanout, type WriterCaller } from './writer-fanout';

export const RELAY_OPTIONS = 'RELAY_OPTIONS';
/** The writers the relay calls (a WriterCaller): one group, or a fan-out to several. */
export const WRITER_CALLER = 'WRITER_CALLER';

export interface RelayModuleOptions {
  readonly scenarios: readonly AnyScenario[];
  /** Writer groups: the first is WRITER_TARGETS, the others FANOUT_TARGETS; each a list of gRPC targets. */
  readonly writerGroups: ReadonlyArray<readonly string[]>;
  /** Deadline of each gRPC call. */
  readonly deadlineMs: number;
  /** Events in flight before new ones get a fast 503. */
  readonly maxInFlight: number;
  /** Most events in one batch request. */
  readonly batchMax: number;
}

/** Registers the scenario routes on the app's Fastify instance; closes the channels on shutdown. */
@Injectable()
class RelayRoutes implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RELAY_OPTIONS) private readonly options: RelayModuleOptions,
    @Inject(WRITER_CALLER) private readonly clients: WriterCaller,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    const { scenarios, maxInFlight, batchMax } = this.options;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await registerRelayRoutes(fastify, { scenarios, clients: this.clients, logger: this.logger, metrics: this.metrics, maxInFlight, batchMax });
  }

  onApplicationShutdown(): void {
    this.clients.close();
  }
}

/** The relay's REST-in, gRPC-out hop, its providers built from the options the factory reads (the app's validated configuration). */
@Module({})
export class RelayModule {
  static forRootAsync(options: Pick<FactoryProvider<RelayModuleOptions>, 'inject' | 'useFactory'>): DynamicModule {
    return {
      module: RelayModule,
      providers: [
        { provide: RELAY_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          // Long-lived channels with per-call round-robin and retry on another writer (WriterClients).
          provide: WRITER_CALLER,
          inject: [RELAY_OPTIONS],
          useFactory: (relay: RelayModuleOptions): WriterCaller => {
            const groups = relay.writerGroups.map((targets) => new WriterClients(targets, relay.deadlineMs));
            return groups.length === 1 ? groups[0] : new WriterFanout(groups);
          },
        },
        RelayRoutes,
      ],
    };
  }
}
