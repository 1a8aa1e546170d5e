import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { createPublisher, createSubscriber, type BrokerConfig, type EventPublisher, type EventSubscriber } from '@oleada/broker';
import { queuesOf, type AnyScenario } from '@oleada/scenarios';
import { hopModule, hopModuleAsync, LOGGER, METRIC_NAMES, METRICS, type HopModuleAsyncOptions, type Logger, type Metrics } from '@oleada/shared';
import Valkey from 'iovalkey';
import { Aggregator } from './aggregator';
import { BrokerBatchServer } from './broker-batch.server';
import { CONSUMER_OPTIONS, DEAD_LETTERS, EVENT_SUBSCRIBER, VALKEY } from './consumer.constants';
import { scenarioConsumerController } from './consumer.controller';
import { ConsumerLifecycle } from './consumer.lifecycle';

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

/**
 * The consumer: a controller per served scenario (scenarioConsumerController), served by
 * BrokerBatchServer (a custom transport, taken from this module by main.ts), and the providers
 * behind them, built from the module's options (the app's validated configuration).
 */
@Module({})
export class ConsumerModule {
  /** The module from the app's config namespace (hopModuleAsync): a controller per served scenario. */
  static forRootAsync<C>(options: HopModuleAsyncOptions<C, ConsumerModuleOptions>): Promise<DynamicModule> {
    return hopModuleAsync(CONSUMER_OPTIONS, options, ConsumerModule.with);
  }

  /** The module from options at hand (tests). */
  static forRoot(options: ConsumerModuleOptions): DynamicModule {
    return hopModule(CONSUMER_OPTIONS, options, ConsumerModule.with);
  }

  private static with(scenarios: readonly AnyScenario[], optionsProvider: Provider): DynamicModule {
    return {
      module: ConsumerModule,
      controllers: scenarios.map(scenarioConsumerController),
      providers: [
        optionsProvider,
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
