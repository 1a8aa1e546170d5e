import { Controller, Get, Header, HttpCode, HttpStatus, Inject, Module, type DynamicModule, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Health } from './health';
import { Metrics } from './metrics';

export const HEALTH = 'OLEADA_HEALTH';
export const METRICS = 'OLEADA_METRICS';

/** `/health/live`, `/health/ready` and `/metrics`, the same on every app. */
@Controller()
export class OpsController {
  constructor(
    @Inject(HEALTH) private readonly health: Health,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  @HttpCode(HttpStatus.OK)
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  @Get('health/ready')
  ready(@Res() reply: FastifyReply): void {
    void reply.code(this.health.ready ? 200 : 503).send(this.health.report());
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.render();
    void reply.header('Content-Type', this.metrics.contentType).send(body);
  }
}

/** Provides the process's Health and Metrics and serves them over HTTP. */
@Module({})
export class OpsModule {
  static forRoot(health: Health, metrics: Metrics): DynamicModule {
    return {
      module: OpsModule,
      global: true,
      controllers: [OpsController],
      providers: [
        { provide: HEALTH, useValue: health },
        { provide: METRICS, useValue: metrics },
      ],
      exports: [HEALTH, METRICS],
    };
  }
}
