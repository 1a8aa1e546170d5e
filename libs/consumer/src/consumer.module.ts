import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventPublisher, EventSubscriber } from '@oleada/broker';
import type { Health, Logger } from '@oleada/shared';
import type Valkey from 'iovalkey';
import type { Aggregator } from './aggregator';

const CONSUMER_RUNTIME = 'CONSUMER_RUNTIME';

export interface ConsumerRuntime {
  readonly aggregator: Aggregator;
  readonly subscriber: EventSubscriber;
  readonly deadLetters: EventPublisher;
  readonly valkey: Valkey;
  readonly health: Health;
  readonly logger: Logger;
}

/** Connects Valkey and the broker, runs the subscription, and stops it cleanly (commit, then close). */
@Injectable()
class ConsumerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(CONSUMER_RUNTIME) private readonly runtime: ConsumerRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    const { aggregator, subscriber, deadLetters, valkey, health, logger } = this.runtime;
    health.register('valkey');
    health.register('broker');
    valkey.on('ready', () => {
      aggregator.prepare().catch((error: unknown) => logger.error({ err: error }, 'could not load the aggregation function'));
    });
    this.timer = setInterval(() => {
      health.set('valkey', valkey.status === 'ready');
      health.set('broker', subscriber.connected);
    }, 500);
    this.timer.unref();
    void this.startWhenPossible(async () => {
      await deadLetters.connect();
      await aggregator.prepare();
      await subscriber.start(aggregator.handle);
      logger.info('consuming');
    });
  }

  /** Keeps trying to start while the broker or Valkey are not there yet. */
  private async startWhenPossible(start: () => Promise<void>): Promise<void> {
    let delay = 500;
    for (;;) {
      try {
        await start();
        return;
      } catch (error) {
        if (this.runtime.health.isDraining) return;
        this.runtime.logger.warn({ err: error, retryInMs: delay }, 'cannot start consuming yet');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.subscriber.stop();
    this.runtime.logger.info('subscription stopped, offsets committed');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.runtime.deadLetters.disconnect();
    await this.runtime.valkey.quit().catch(() => this.runtime.valkey.disconnect());
  }
}

@Module({})
export class ConsumerModule {
  static forRoot(runtime: ConsumerRuntime): DynamicModule {
    return { module: ConsumerModule, providers: [{ provide: CONSUMER_RUNTIME, useValue: runtime }, ConsumerLifecycle] };
  }
}
