import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventPublisher } from '@oleada/broker';
import { HEALTH, LOGGER, type Health, type Logger } from '@oleada/shared';
import { GrpcHealth } from './grpc-health.service';
import { EVENT_PUBLISHER, WRITER_OPTIONS } from './writer.constants';
import { WriterService } from './writer.service';

/** What the lifecycle reads of the module's options (WriterModuleOptions). */
interface LifecycleOptions {
  /** Drain budget on SIGTERM; half of it goes to the calls in flight. */
  readonly shutdownTimeoutMs: number;
  /** A publisher made elsewhere, connected and disconnected by its maker. */
  readonly publisher?: EventPublisher;
}

/** Keeps the broker connection up (readiness and gRPC health follow it); drains and flushes on shutdown. */
@Injectable()
export class WriterLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private stopped = false;

  constructor(
    @Inject(WRITER_OPTIONS) private readonly options: LifecycleOptions,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(HEALTH) private readonly health: Health,
    private readonly grpcHealth: GrpcHealth,
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
