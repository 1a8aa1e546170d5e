import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { createPublisher, type BrokerConfig, type EventPublisher } from '@oleada/broker';
import { queuesOf, type AnyScenario } from '@oleada/scenarios';
import { hopModule, hopModuleAsync, LOGGER, METRIC_NAMES, METRICS, type HopModuleAsyncOptions, type Logger, type Metrics } from '@oleada/shared';
import { GrpcHealth } from './grpc-health.service';
import { EVENT_PUBLISHER, WRITER_OPTIONS } from './writer.constants';
import { GrpcHealthController, scenarioWriterController, WriterController } from './writer.controller';
import { WriterLifecycle } from './writer.lifecycle';
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

/**
 * The writer: its gRPC handlers (a controller per served scenario, scenarioWriterController;
 * WriterController for EventBatchService; GrpcHealthController; served by the transport
 * writerGrpcOptions describes) and the providers behind them, built from the module's options (the
 * app's validated configuration).
 */
@Module({})
export class WriterModule {
  /** The module from the app's config namespace (hopModuleAsync): a controller per served scenario. */
  static forRootAsync<C>(options: HopModuleAsyncOptions<C, WriterModuleOptions>): Promise<DynamicModule> {
    return hopModuleAsync(WRITER_OPTIONS, options, WriterModule.with);
  }

  /** The module from options at hand (tests). */
  static forRoot(options: WriterModuleOptions): DynamicModule {
    return hopModule(WRITER_OPTIONS, options, WriterModule.with);
  }

  private static with(scenarios: readonly AnyScenario[], optionsProvider: Provider): DynamicModule {
    return {
      module: WriterModule,
      controllers: [...scenarios.map(scenarioWriterController), WriterController, GrpcHealthController],
      providers: [
        optionsProvider,
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
