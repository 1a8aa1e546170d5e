import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, Type } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { clientErrorHandler, ErrorShapeFilter, requestErrorException } from './error-shape';
import type { Health } from './health';
import { installRouteBodyLimits, installStrictJsonParser } from './http';
import { HEALTH, LOGGER } from './ops.module';
import { closeOnSignals } from './shutdown';

/**
 * Fastify as Nest's adapter, with one change: Fastify's own request errors (a body too large, of
 * the wrong type, not JSON) become ErrorShapeExceptions before Nest's exception layer gets them —
 * Nest would otherwise turn them into bare HttpExceptions and drop the code that says which it was.
 * From there they take the one path every error takes: the global ErrorShapeFilter.
 */
class ShapedFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(handler: Parameters<FastifyAdapter['setErrorHandler']>[0]): ReturnType<FastifyAdapter['setErrorHandler']> {
    return super.setErrorHandler(function (this: unknown, error, request, reply) {
      return handler.call(this as never, requestErrorException(error) ?? error, request, reply);
    });
  }
}

export interface HttpAppOptions {
  /** @default the module's LOGGER provider (OpsModule.forRootAsync) */
  readonly logger?: Logger;
  /** @default the module's HEALTH provider (OpsModule.forRootAsync) */
  readonly health?: Health;
  /**
   * Transports the app also serves (a hybrid app, e.g. the writer's gRPC server). They start
   * before the HTTP port opens and close with the app; they do not inherit the HTTP app's global
   * filters (the error shape is HTTP's).
   */
  readonly microservices?: ReadonlyArray<MicroserviceOptions | ((app: NestFastifyApplication) => MicroserviceOptions)>;
  readonly port: number;
  readonly host?: string;
  readonly shutdownTimeoutMs: number;
  /** Largest request body, in bytes. @default 1 MiB */
  readonly bodyLimit?: number;
  /**
   * Longest a client may take to send one whole request, headers and body; then its socket is
   * closed, so a stalled sender holds no connection or body buffer for long. Answering takes as
   * long as it takes: this clock stops once the request is in. @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed: `request.ip` is then the
   * nearest address in it that is not a trusted proxy. Anyone else's header is ignored.
   * @default - none: `request.ip` is the socket's peer
   */
  readonly trustProxy?: readonly string[];
  /** Runs once the app closed on SIGTERM/SIGINT, before the process exits (e.g. the tracer's shutdown, exporting the drain's spans). */
  readonly afterClose?: () => Promise<void>;
}

/**
 * Creates a Nest application on Fastify and initializes it (modules' init hooks, routes, the
 * transports of a hybrid app), without listening: what startHttpApp serves, and what a test can
 * `inject()` requests into. Every app gets the same HTTP edge: the strict JSON parser (the only body
 * parser), per-route body limits (BODY_LIMIT), the one error shape (ErrorShapeFilter, also for
 * requests Node or Fastify refused).
 */
export async function createHttpApp(module: DynamicModule | Type<unknown>, options: Omit<HttpAppOptions, 'port' | 'host' | 'shutdownTimeoutMs' | 'afterClose'>): Promise<NestFastifyApplication> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const adapter = new ShapedFastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    keepAliveTimeout: 65_000,
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    // Fastify's default 0 turns Node's request deadline off. It must also reach the server's
    // constructor, which caps the headers deadline (60 s) at it: with the headers deadline above
    // the request deadline, Node 20 never fired the latter (bootstrap.spec). Node checks deadlines
    // every connectionsCheckingInterval (30 s by default), so check at a quarter of the deadline.
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.max(25, Math.min(30_000, Math.floor(requestTimeoutMs / 4))) },
    // Requests beyond this answer 503 instead of queueing in the socket.
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Requests Node cannot parse get the one error shape too, not Fastify's own.
    clientErrorHandler,
  });
  installStrictJsonParser(adapter.getInstance());
  installRouteBodyLimits(adapter.getInstance());
  // bodyParser: false — the strict parser above is the only one; Nest must not add its own.
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: false, bufferLogs: false, abortOnError: false, bodyParser: false });
  const logger = options.logger ?? app.get<Logger>(LOGGER);
  app.useGlobalFilters(new ErrorShapeFilter(adapter.getInstance(), logger));
  for (const microservice of options.microservices ?? []) {
    // A function gets the transport from the app's own providers (a custom transport strategy).
    app.connectMicroservice<MicroserviceOptions>(typeof microservice === 'function' ? microservice(app) : microservice, { inheritAppConfig: false });
  }
  await app.init(); // modules' init hooks (connections, health checks) run before any port opens
  return app;
}

/**
 * Creates a Nest application on Fastify (createHttpApp), listens, and closes it cleanly on
 * SIGTERM/SIGINT: the process reports not-ready first, then Nest runs the modules' shutdown hooks
 * (drain, flush, commit) and stops the HTTP server once in-flight requests are answered.
 */
export async function startHttpApp(module: DynamicModule | Type<unknown>, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const app = await createHttpApp(module, options);
  const logger = options.logger ?? app.get<Logger>(LOGGER);
  const health = options.health ?? app.get<Health>(HEALTH);
  await app.startAllMicroservices();
  await app.listen(options.port, options.host ?? '0.0.0.0');
  logger.info({ port: options.port }, 'listening');
  closeOnSignals(app, logger, options.shutdownTimeoutMs, () => health.startDraining(), options.afterClose);
  return app;
}
