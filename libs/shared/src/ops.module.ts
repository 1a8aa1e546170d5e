import { Controller, Get, Header, HttpCode, HttpStatus, Inject, Module, type DynamicModule, type FactoryProvider, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Health } from './health';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics';

export const HEALTH = 'OLEADA_HEALTH';
export const METRICS = 'OLEADA_METRICS';
export const LOGGER = 'OLEADA_LOGGER';
const OPS_SETTINGS = 'OLEADA_OPS_SETTINGS';

/** What the process's logger and metrics are named after. */
export interface OpsSettings {
  /** Service name in logs and metrics (`SERVICE_NAME`, else the app's name). */
  readonly name: string;
  readonly logLevel?: string;
}

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
  /**
   * The process's logger (LOGGER), Health (HEALTH) and Metrics (METRICS), built by Nest from the
   * settings the factory reads (the app's validated configuration), and served over HTTP.
   */
  static forRootAsync(settings: Pick<FactoryProvider<OpsSettings>, 'inject' | 'useFactory'>): DynamicModule {
    return {
      module: OpsModule,
      global: true,
      controllers: [OpsController],
      providers: [
        { provide: OPS_SETTINGS, inject: settings.inject, useFactory: settings.useFactory },
        { provide: LOGGER, inject: [OPS_SETTINGS], useFactory: (s: OpsSettings) => createLogger(s.name, s.logLevel) },
        { provide: HEALTH, useFactory: () => new Health() },
        {
          provide: METRICS,
          inject: [OPS_SETTINGS, HEALTH],
          useFactory: (s: OpsSettings, health: Health) => {
            const metrics = new Metrics(s.name);
            metrics.watchDependencies(health);
            return metrics;
          },
        },
      ],
      exports: [LOGGER, HEALTH, METRICS],
    };
  }

  /** The same from objects at hand (tests); the logger is silent unless given. */
  static forRoot(health: Health, metrics: Metrics, logger: Logger = createLogger('test', 'silent')): DynamicModule {
    metrics.watchDependencies(health);
    return {
      module: OpsModule,
      global: true,
      controllers: [OpsController],
      providers: [
        { provide: LOGGER, useValue: logger },
        { provide: HEALTH, useValue: health },
        { provide: METRICS, useValue: metrics },
      ],
      exports: [LOGGER, HEALTH, METRICS],
    };
  }
}
