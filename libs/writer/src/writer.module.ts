import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventPublisher } from '@oleada/broker';
import type { Health, Logger } from '@oleada/shared';
import { WriterServer } from './writer.server';

export const WRITER_RUNTIME = 'WRITER_RUNTIME';

export interface WriterRuntime {
  readonly server: WriterServer;
  readonly publisher: EventPublisher;
  readonly health: Health;
  readonly logger: Logger;
  readonly grpcPort: number;
  readonly shutdownTimeoutMs: number;
}

/** Starts the gRPC server and keeps the broker connection up; drains and flushes on shutdown. */
@Injectable()
class WriterLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private stopped = false;

  constructor(@Inject(WRITER_RUNTIME) private readonly runtime: WriterRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    const { server, health, logger, grpcPort } = this.runtime;
    health.register('broker');
    const bound = await server.listen(grpcPort);
    logger.info({ grpcPort: bound }, 'gRPC listening');
    void this.keepConnected();
  }

  /** Connects, and reconnects whenever the producer drops, updating readiness and gRPC health. */
  private async keepConnected(): Promise<void> {
    const { publisher, health, server, logger } = this.runtime;
    let delay = 250;
    while (!this.stopped) {
      const up = publisher.connected;
      health.set('broker', up);
      server.health.setAll(up && !health.isDraining);
      if (!up) {
        try {
          await publisher.connect();
          logger.info('broker connected');
          delay = 250;
          continue;
        } catch (error) {
          logger.warn({ err: error, retryInMs: delay }, 'broker not reachable');
          delay = Math.min(delay * 2, 5000);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, up ? 1000 : delay));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.server.drain(this.runtime.shutdownTimeoutMs / 2);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.runtime.publisher.disconnect();
    this.runtime.logger.info('producer flushed and disconnected');
  }
}

@Module({})
export class WriterModule {
  static forRoot(runtime: WriterRuntime): DynamicModule {
    return { module: WriterModule, providers: [{ provide: WRITER_RUNTIME, useValue: runtime }, WriterLifecycle] };
  }
}
