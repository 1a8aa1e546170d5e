import { installSecurityHeaders, sendError } from '@oleada/shared';
import { refusedRequestSpan, requestTracingHooks } from '@oleada/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { EVENT_ROUTE, type EventRouteKind } from './gateway.constants';
import type { GatewayMetrics } from './gateway.metrics';
import { RateLimiter, type RateLimitOptions } from './rate-limiter';

export interface AdmissionOptions {
  /** Requests in flight before new ones get a fast 503. */
  readonly maxInFlight: number;
  /** Largest body of a single event, in bytes; a batch may take up to 1 MiB (or this, if larger). */
  readonly bodyLimit: number;
  /** Requests per second per client address before 429; unlimited when absent. */
  readonly rateLimit?: RateLimitOptions;
  /**
   * How long a request may take to deliver its body; then its connection is closed and its
   * in-flight slot freed, so clients that never finish (slowloris) cannot hold the gateway.
   */
  readonly bodyTimeoutMs: number;
  /**
   * Bench calibration aid (OLEADA_PLANTED_CPU_US): this many microseconds of this thread's CPU
   * burnt on every event request, so an A/B bench can show it sees a known cost. Off (no hook at
   * all, so no cost) when absent or 0; never set in production.
   */
  readonly plantedCpuUs?: number;
}

const COUNTED = Symbol('oleada.inFlight');
const BODY_DEADLINE = Symbol('oleada.bodyDeadline');
type CountedRequest = FastifyRequest & { [COUNTED]?: boolean; [BODY_DEADLINE]?: NodeJS.Timeout };

/** A route option that takes one hook or several, as an array to add to. */
function hooks<H>(value: H | H[] | undefined): H[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Admission of the scenario routes: rate limit (429), in-flight bound (fast 503), and the deadline
 * for a body to arrive (the connection is closed, 408 in the metrics), each before the body is read.
 *
 * These stay Fastify hooks of the routes (onRequest), not a Nest guard or interceptor: those run
 * after Fastify read and parsed the body, so a client over its rate or a gateway at capacity would
 * still pay for receiving and parsing every body it refuses, and a body that never arrives would
 * hold no slot while it trickles in. The hooks and the routes' body limits are attached when Nest
 * registers a route marked `@RouteConfig({ [EVENT_ROUTE]: kind })` (Fastify's onRoute), so health
 * and metrics, which carry no mark, are never limited or shed.
 */
export class GatewayAdmission {
  private readonly limiter?: RateLimiter;
  private inFlight = 0;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly metrics: GatewayMetrics,
  ) {
    this.limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  }

  /**
   * Installs the hooks on the app's root Fastify instance: the security headers on every answer
   * (routes, 404s, errors, answers sent from hooks), and the admission of every event route
   * registered from now on. Call it before Nest registers the routes.
   */
  install(fastify: FastifyInstance): void {
    installSecurityHeaders(fastify);
    // Each event request's trace span, when this process traces (no hooks otherwise).
    const tracing = requestTracingHooks();
    fastify.addHook('onRoute', (route: RouteOptions) => {
      const kind = (route.config as Record<string, unknown> | undefined)?.[EVENT_ROUTE] as EventRouteKind | undefined;
      if (kind === undefined) return;
      route.bodyLimit = kind === 'batch' ? Math.max(this.options.bodyLimit, 1024 * 1024) : this.options.bodyLimit;
      route.onRequest = [...hooks(route.onRequest), this.admit, ...(this.options.plantedCpuUs ? [this.planted] : []), ...(tracing ? [tracing.onRequest] : [])];
      // The body is in: from here on the chain's own deadline (REQUEST_TIMEOUT_MS) applies.
      route.preValidation = [...hooks(route.preValidation), this.bodyArrived];
      route.onResponse = [...hooks(route.onResponse), this.released, ...(tracing ? [tracing.onResponse] : [])];
      route.onRequestAbort = [...hooks(route.onRequestAbort), this.aborted, ...(tracing ? [tracing.onRequestAbort] : [])];
    });
  }

  /**
   * Spins until the process used `plantedCpuUs` µs more CPU: CPU time, not wall time, so a spin the
   * scheduler preempts still costs what it says. process.cpuUsage, not threadCpuUsage: Linux
   * advances a thread's own figure only at scheduler ticks (4 ms), which made a 100 µs spin burn
   * about 1 ms; the process's figure includes the running thread's time up to the moment it is read.
   */
  private readonly planted = (_request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const start = process.cpuUsage();
    const budget = this.options.plantedCpuUs ?? 0;
    for (let used = 0; used < budget; ) {
      const now = process.cpuUsage(start);
      used = now.user + now.system;
    }
    done();
  };

  // The hooks take Fastify's `done` callback rather than being async: on every request that saves
  // a promise and a turn of the microtask queue per hook, on the gateway's hottest path.
  private readonly admit = (request: CountedRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const wait = this.limiter?.take(request.ip) ?? 0;
    if (wait > 0) {
      this.metrics.requests.inc({ scenario: 'any', kind: 'rate_limited', status: 429 });
      const seconds = Math.max(1, Math.ceil(wait));
      // Answered here: `done` is not called, so the request goes no further.
      sendError(reply, 429, { error: 'rate_limited', message: `too many requests from this client; retry in ${seconds} s` }, seconds);
      refusedRequestSpan(request, 429, 'rate_limited');
      return;
    }
    if (this.inFlight >= this.options.maxInFlight) {
      this.metrics.requests.inc({ scenario: 'any', kind: 'shed', status: 503 });
      sendError(reply, 503, { error: 'overloaded', message: 'gateway is at capacity; retry later' }, 1);
      refusedRequestSpan(request, 503, 'overloaded');
      return;
    }
    this.inFlight++;
    this.metrics.inFlight.set(this.inFlight);
    request[COUNTED] = true;
    request[BODY_DEADLINE] = setTimeout(() => {
      this.metrics.requests.inc({ scenario: 'any', kind: 'body_timeout', status: 408 });
      this.release(request);
      request.raw.destroy();
    }, this.options.bodyTimeoutMs);
    done();
  };

  private readonly bodyArrived = (request: CountedRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    clearTimeout(request[BODY_DEADLINE]);
    done();
  };

  private readonly released = (request: CountedRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    this.release(request);
    done();
  };

  private readonly aborted = (request: CountedRequest, done: HookHandlerDoneFunction): void => {
    this.release(request);
    done();
  };

  private release(request: CountedRequest): void {
    clearTimeout(request[BODY_DEADLINE]);
    if (request[COUNTED]) {
      request[COUNTED] = false;
      this.inFlight--;
      this.metrics.inFlight.set(this.inFlight);
    }
  }
}
