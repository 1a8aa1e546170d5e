import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Health } from './health';
import { closeOnSignals } from './shutdown';

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly health: Health;
  readonly port: number;
  readonly host?: string;
  readonly shutdownTimeoutMs: number;
  /** Largest request body, in bytes. @default 1 MiB */
  readonly bodyLimit?: number;
}

/**
 * Creates a Nest application on Fastify, listens, and closes it cleanly on SIGTERM/SIGINT: the
 * process reports not-ready first, then Nest runs the modules' shutdown hooks (drain, flush,
 * commit) and stops the HTTP server once in-flight requests are answered.
 */
export async function startHttpApp(module: DynamicModule, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    keepAliveTimeout: 65_000,
    // Requests beyond this answer 503 instead of queueing in the socket.
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: false, bufferLogs: false });
  await app.listen(options.port, options.host ?? '0.0.0.0');
  options.logger.info({ port: options.port }, 'listening');
  closeOnSignals(app, options.logger, options.shutdownTimeoutMs, () => options.health.startDraining());
  return app;
}
