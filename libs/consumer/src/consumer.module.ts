import { Inject, Injectable, Module, type DynamicModule, type FactoryProvider, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createPublisher, createSubscriber, type BrokerConfig, type EventPublisher, type EventSubscriber } from '@oleada/broker';
import { queuesOf, type AnyScenario } from '@oleada/scenarios';
import { HEALTH, LOGGER, METRIC_NAMES, METRICS, type Health, type Logger, type Metrics } from '@oleada/shared';
import Valkey from 'iovalkey';
import { Aggregator } from './aggregator';
import { BrokerBatchServer } from './broker-batch.server';
import { CONSUMER_OPTIONS, DEAD_LETTERS, EVENT_SUBSCRIBER, VALKEY } from './consumer.constants';
import { ConsumerController } from './consumer.controller';

export interface ConsumerModuleOptions {
  /** Client and connection name. */
  readonly name: string;
  readonly scenarios: readonly AnyScenario[];
  /** BROKER and its connection settings. */
  readonly broker: BrokerConfig;
  readonly valkey: { readonly url: string; readonly username?: string; readonly password?: string };
  /** Kafka consumer group. */
  readonly groupId: string;
  /** Kafka partitions fetched at once. */
  readonly partitionsConcurrently: number;
  /** RabbitMQ unacknowledged deliveries per queue. */
  readonly prefetch: number;
  /** Most records applied to Valkey in one call. */
  readonly maxBatch?: number;
  /** How long an event id is remembered. */
  readonly dedupTtlSeconds: number;
  /** Keeps these aggregates apart from another broker path's. */
  readonly variant?: string;
}

/** Readiness follows Valkey and the broker; the Valkey function is (re)loaded on every connect; closes both last. */
@Injectable()
class ConsumerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(VALKEY) private readonly valkey: Valkey,
    @Inject(EVENT_SUBSCRIBER) private readonly subscriber: EventSubscriber,
    @Inject(DEAD_LETTERS) private readonly deadLetters: EventPublisher,
    @Inject(HEALTH) private readonly health: Health,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly aggregator: Aggregator,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register('valkey');
    this.health.register('broker');
    this.valkey.on('ready', () => {
      this.aggregator.prepare().catch((error: unknown) => this.logger.error({ err: error }, 'could not load the aggregation function'));
    });
    this.timer = setInterval(() => {
      this.health.set('valkey', this.valkey.status === 'ready');
      this.health.set('broker', this.subscriber.connected);
    }, 500);
    this.timer.unref();
  }

  /** After the transport stopped the subscription (offsets committed). */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.deadLetters.disconnect();
    await this.valkey.quit().catch(() => this.valkey.disconnect());
  }
}

/**
 * The consumer: ConsumerController's handlers, served by BrokerBatchServer (a custom transport,
 * taken from this module by main.ts), and the providers behind them, built from the options the
 * factory reads (the app's validated configuration).
 */
@Module({})
export class ConsumerModule {
  static forRootAsync(options: Pick<FactoryProvider<ConsumerModuleOptions>, 'inject' | 'useFactory'>): DynamicModule {
    return {
      module: ConsumerModule,
      controllers: [ConsumerController],
      providers: [
        { provide: CONSUMER_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          provide: VALKEY,
          inject: [CONSUMER_OPTIONS, LOGGER],
          useFactory: (consumer: ConsumerModuleOptions, logger: Logger) => {
            const valkey = new Valkey(consumer.valkey.url, {
              username: consumer.valkey.username,
              password: consumer.valkey.password,
              connectionName: consumer.name,
              maxRetriesPerRequest: 2,
              retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
            });
            valkey.on('error', (error) => logger.warn({ err: error }, 'valkey connection error'));
            return valkey;
          },
        },
        {
          provide: DEAD_LETTERS,
          inject: [CONSUMER_OPTIONS, LOGGER],
          useFactory: (consumer: ConsumerModuleOptions, logger: Logger) =>
            createPublisher(consumer.broker, { name: `${consumer.name}-dlq`, logger, queues: queuesOf(consumer.scenarios), lingerMs: 2 }),
        },
        {
          provide: Aggregator,
          inject: [CONSUMER_OPTIONS, VALKEY, DEAD_LETTERS, LOGGER, METRICS],
          useFactory: (consumer: ConsumerModuleOptions, valkey: Valkey, deadLetters: EventPublisher, logger: Logger, metrics: Metrics) =>
            new Aggregator({ scenarios: consumer.scenarios, valkey, deadLetters, seenTtlSeconds: consumer.dedupTtlSeconds, logger, metrics, variant: consumer.variant }),
        },
        {
          provide: EVENT_SUBSCRIBER,
          inject: [CONSUMER_OPTIONS, LOGGER, METRICS],
          useFactory: (consumer: ConsumerModuleOptions, logger: Logger, metrics: Metrics) => {
            const lag = metrics.gauge(METRIC_NAMES.consumerLag, 'Records behind the end of the partition', ['topic', 'partition']);
            return createSubscriber(consumer.broker, {
              name: consumer.name,
              logger,
              queues: queuesOf(consumer.scenarios),
              groupId: consumer.groupId,
              partitionsConcurrently: consumer.partitionsConcurrently,
              prefetch: consumer.prefetch,
              maxBatch: consumer.maxBatch,
              onLag: (topic, partition, value) => lag.set({ topic, partition: String(partition) }, value),
            });
          },
        },
        {
          provide: BrokerBatchServer,
          inject: [EVENT_SUBSCRIBER, DEAD_LETTERS, Aggregator, LOGGER],
          useFactory: (subscriber: EventSubscriber, deadLetters: EventPublisher, aggregator: Aggregator, logger: Logger) =>
            new BrokerBatchServer(subscriber, {
              logger,
              beforeStart: async () => {
                await deadLetters.connect();
                await aggregator.prepare();
              },
            }),
        },
        ConsumerLifecycle,
      ],
      exports: [BrokerBatchServer],
    };
  }
}
