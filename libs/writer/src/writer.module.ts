import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type FactoryProvider, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createPublisher, type BrokerConfig, type EventPublisher } from '@oleada/broker';
import { queuesOf } from '@oleada/scenarios';
import { HEALTH, LOGGER, METRIC_NAMES, METRICS, type Health, type Logger, type Metrics } from '@oleada/shared';
import { GrpcHealth } from './grpc-health.service';
import { EVENT_PUBLISHER, WRITER_OPTIONS } from './writer.constants';
import { GrpcHealthController, WriterController } from './writer.controller';
import { BATCH_SERVICE_NAME, WriterService, type WriterOptions } from './writer.service';

export interface WriterModuleOptions extends WriterOptions {
  /** BROKER and its connection settings. */
  readonly broker: BrokerConfig;
  /** How long a produce request waits for company when none is in flight. */
  readonly lingerMs: number;
  /** Records per produce request. */
  readonly batchMax: number;
  /** Drain budget on SIGTERM; half of it goes to the calls in flight. */
  readonly shutdownTimeoutMs: number;
  /**
   * A publisher made elsewhere (a test watching its batches), connected and disconnected by its
   * maker; by default one is made for `broker`, and kept connected by the module.
   */
  readonly publisher?: EventPublisher;
}

/** Keeps the broker connection up (readiness and gRPC health follow it); drains and flushes on shutdown. */
@Injectable()
class WriterLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private stopped = false;

  constructor(
    @Inject(WRITER_OPTIONS) private readonly options: WriterModuleOptions,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(HEALTH) private readonly health: Health,
    @Inject(GrpcHealth) private readonly grpcHealth: GrpcHealth,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly writer: WriterService,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register('broker');
    if (this.options.publisher) this.stopped = true; // its maker keeps it connected
    else void this.keepConnected();
  }

  /** Connects, and reconnects whenever the producer drops, updating readiness and gRPC health. */
  private async keepConnected(): Promise<void> {
    let delay = 250;
    while (!this.stopped) {
      const up = this.publisher.connected;
      this.health.set('broker', up);
      if (!this.stopped) this.grpcHealth.setAll(up && !this.health.isDraining);
      if (!up) {
        try {
          await this.publisher.connect();
          this.logger.info('broker connected');
          delay = 250;
          continue;
        } catch (error) {
          this.logger.warn({ err: error, retryInMs: delay }, 'broker not reachable');
          delay = Math.min(delay * 2, 5000);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, up ? 1000 : delay));
    }
  }

  /** Before the gRPC server closes: refuse new calls, let those in flight get their outcome. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.grpcHealth.setAll(false);
    this.grpcHealth.close();
    await this.writer.drain(this.options.shutdownTimeoutMs / 2);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.options.publisher) return;
    await this.publisher.disconnect();
    this.logger.info('producer flushed and disconnected');
  }
}

/**
 * The writer: its gRPC handlers (WriterController, GrpcHealthController; served by the transport
 * writerGrpcOptions describes) and the providers behind them, built from the options the factory
 * reads (the app's validated configuration).
 */
@Module({})
export class WriterModule {
  static forRootAsync(options: Pick<FactoryProvider<WriterModuleOptions>, 'inject' | 'useFactory'>): DynamicModule {
    return {
      module: WriterModule,
      controllers: [WriterController, GrpcHealthController],
      providers: [
        { provide: WRITER_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          provide: EVENT_PUBLISHER,
          inject: [WRITER_OPTIONS, LOGGER, METRICS],
          useFactory: (writer: WriterModuleOptions, logger: Logger, metrics: Metrics): EventPublisher => {
            if (writer.publisher) return writer.publisher;
            const broker = writer.broker.BROKER;
            const batchSize = metrics.histogram(METRIC_NAMES.produceBatchRecords, 'Records per produce request (Kafka) or confirmed batch (RabbitMQ)', ['broker'], [1, 5, 10, 25, 50, 100, 250, 500, 1000]);
            const produceLatency = metrics.histogram(METRIC_NAMES.produceDuration, 'Produce round trip until acks=all or every publisher confirm', ['broker', 'outcome']);
            // Errors start at 0: an alert's rate() sees the first failed produce (a series born at 1 shows no rate).
            produceLatency.zero({ broker, outcome: 'error' });
            return createPublisher(writer.broker, {
              name: writer.name,
              logger,
              queues: queuesOf(writer.scenarios),
              lingerMs: writer.lingerMs,
              batchMax: writer.batchMax,
              onBatch: (records, seconds, ok) => {
                batchSize.observe({ broker }, records);
                produceLatency.observe({ broker, outcome: ok ? 'ok' : 'error' }, seconds);
              },
            });
          },
        },
        { provide: GrpcHealth, inject: [WRITER_OPTIONS], useFactory: (writer: WriterModuleOptions) => new GrpcHealth([...writer.scenarios.map((s) => s.grpc.serviceName), BATCH_SERVICE_NAME]) },
        WriterService,
        WriterLifecycle,
      ],
      exports: [WriterService, EVENT_PUBLISHER],
    };
  }
}
