import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventPublisher, EventSubscriber } from '@oleada/broker';
import { HEALTH, LOGGER, type Health, type Logger } from '@oleada/shared';
import Valkey from 'iovalkey';
import { Aggregator } from './aggregator';
import { DEAD_LETTERS, EVENT_SUBSCRIBER, VALKEY } from './consumer.constants';

/** Readiness follows Valkey and the broker; the Valkey function is (re)loaded on every connect; closes both last. */
@Injectable()
export class ConsumerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
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
