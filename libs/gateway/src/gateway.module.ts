import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { registerGatewayRoutes, type GatewayRoutesOptions } from './gateway.routes';

const GATEWAY_OPTIONS = 'GATEWAY_OPTIONS';

@Injectable()
class GatewayRoutes implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayRoutesOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await registerGatewayRoutes(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), this.options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.options.forwarder.close();
  }
}

@Module({})
export class GatewayModule {
  static forRoot(options: GatewayRoutesOptions): DynamicModule {
    return { module: GatewayModule, providers: [{ provide: GATEWAY_OPTIONS, useValue: options }, GatewayRoutes] };
  }
}
