import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { registerRelayRoutes, type RelayRoutesOptions } from './relay.routes';

const RELAY_OPTIONS = 'RELAY_OPTIONS';

/** Registers the scenario routes on the app's Fastify instance; closes the channels on shutdown. */
@Injectable()
class RelayRoutes implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RELAY_OPTIONS) private readonly options: RelayRoutesOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await registerRelayRoutes(fastify, this.options);
  }

  onApplicationShutdown(): void {
    this.options.clients.close();
  }
}

@Module({})
export class RelayModule {
  static forRoot(options: RelayRoutesOptions): DynamicModule {
    return { module: RelayModule, providers: [{ provide: RELAY_OPTIONS, useValue: options }, RelayRoutes] };
  }
}
