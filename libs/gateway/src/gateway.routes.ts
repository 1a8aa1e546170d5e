import { batchRoute, canonicalRoute, type AnyScenario } from '@oleada/scenarios';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, idempotentEventId, installErrorHandler, installSecurityHeaders, installStrictJsonParser, METRIC_NAMES, sendError, uuidv7, validationError, type ErrorBody, type Logger, type Metrics } from '@oleada/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RateLimiter, type RateLimitOptions } from './rate-limiter';
import type { RelayForwarder, ForwardResult } from './relay-forwarder';

export interface GatewayRoutesOptions {
  readonly scenarios: readonly AnyScenario[];
  readonly forwarder: RelayForwarder;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Requests in flight before new ones get a fast 503. */
  readonly maxInFlight: number;
  /** Largest body of a single event, in bytes. */
  readonly bodyLimit: number;
  /** Most events in one batch. */
  readonly batchMax: number;
  /** Requests per second per client address before 429; unlimited when absent. */
  readonly rateLimit?: RateLimitOptions;
  /**
   * How long a request may take to deliver its body; then its connection is closed and its
   * in-flight slot freed, so clients that never finish (slowloris) cannot hold the gateway.
   * @default 10000
   */
  readonly bodyTimeoutMs?: number;
}

const COUNTED = Symbol('oleada.inFlight');
const BODY_DEADLINE = Symbol('oleada.bodyDeadline');
type CountedRequest = FastifyRequest & { [COUNTED]?: boolean; [BODY_DEADLINE]?: NodeJS.Timeout };

/** Where the event id comes from: the client's Idempotency-Key, or a fresh UUIDv7. */
function eventIds(request: FastifyRequest, scenario: AnyScenario, count: number): string[] | ErrorBody {
  const key = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) return Array.from({ length: count }, () => uuidv7());
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    return { error: 'bad_request', message: 'Idempotency-Key must be 1-200 printable ASCII characters', field: IDEMPOTENCY_KEY_HEADER };
  }
  return count === 1 && !request.url.endsWith(':batch')
    ? [idempotentEventId(scenario.name, key)]
    : Array.from({ length: count }, (_, i) => idempotentEventId(scenario.name, key, i));
}

function isAccepted(result: ForwardResult): boolean {
  return result.status === 202;
}

/**
 * Public REST routes of every scenario: the canonical route, its aliases and the batch route. An
 * event is validated strictly, given an id, and forwarded; 202 only once the relay reported it
 * durable. Invalid input never leaves the gateway.
 */
export async function registerGatewayRoutes(fastify: FastifyInstance, options: GatewayRoutesOptions): Promise<void> {
  const { scenarios, forwarder, logger, metrics, maxInFlight, bodyLimit, batchMax } = options;
  const limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  const requests = metrics.counter(METRIC_NAMES.gatewayRequests, 'Gateway requests by scenario and status', ['scenario', 'kind', 'status']);
  const events = metrics.counter(METRIC_NAMES.gatewayEvents, 'Events by outcome', ['scenario', 'outcome']);
  const latency = metrics.histogram(METRIC_NAMES.gatewayRequestDuration, 'Gateway request latency, until the chain answered', ['scenario', 'kind']);
  const inFlightGauge = metrics.gauge(METRIC_NAMES.gatewayInFlight, 'Requests in flight');
  let inFlight = 0;

  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  const release = (request: CountedRequest) => {
    clearTimeout(request[BODY_DEADLINE]);
    if (request[COUNTED]) {
      request[COUNTED] = false;
      inFlight--;
      inFlightGauge.set(inFlight);
    }
  };

  // On the root instance, so 404s, health and metrics answers carry them too.
  installSecurityHeaders(fastify);

  await fastify.register(async (scope) => {
    installErrorHandler(scope, logger);
    installStrictJsonParser(scope);
    // Limit and shed before the body is read, so abuse and overload cost as little as possible.
    scope.addHook('onRequest', async (request: CountedRequest, reply: FastifyReply) => {
      const wait = limiter?.take(request.ip) ?? 0;
      if (wait > 0) {
        requests.inc({ scenario: 'any', kind: 'rate_limited', status: 429 });
        const seconds = Math.max(1, Math.ceil(wait));
        return sendError(reply, 429, { error: 'rate_limited', message: `too many requests from this client; retry in ${seconds} s` }, seconds);
      }
      if (inFlight >= maxInFlight) {
        requests.inc({ scenario: 'any', kind: 'shed', status: 503 });
        return sendError(reply, 503, { error: 'overloaded', message: 'gateway is at capacity; retry later' }, 1);
      }
      inFlight++;
      inFlightGauge.set(inFlight);
      request[COUNTED] = true;
      request[BODY_DEADLINE] = setTimeout(() => {
        requests.inc({ scenario: 'any', kind: 'body_timeout', status: 408 });
        release(request);
        request.raw.destroy();
      }, bodyTimeoutMs);
    });
    // The body is in: from here on the chain's own deadline (REQUEST_TIMEOUT_MS) applies.
    scope.addHook('preValidation', async (request: CountedRequest) => clearTimeout(request[BODY_DEADLINE]));
    scope.addHook('onResponse', async (request: CountedRequest) => release(request));
    scope.addHook('onRequestAbort', async (request: CountedRequest) => release(request));

    for (const scenario of scenarios) {
      const single = async (request: FastifyRequest, reply: FastifyReply) => {
        const stop = latency.startTimer({ scenario: scenario.name, kind: 'single' });
        const ids = eventIds(request, scenario, 1);
        if (!Array.isArray(ids)) return sendError(reply, 400, ids);
        const parsed = scenario.body.safeParse(request.body);
        if (!parsed.success) {
          events.inc({ scenario: scenario.name, outcome: 'invalid' });
          requests.inc({ scenario: scenario.name, kind: 'single', status: 422 });
          return sendError(reply, 422, validationError(parsed.error));
        }
        const [id] = ids;
        const result = await forwarder.forward(scenario, parsed.data, id, Date.now());
        stop();
        requests.inc({ scenario: scenario.name, kind: 'single', status: result.status === 202 || result.status === 422 ? result.status : 503 });
        if (isAccepted(result)) {
          events.inc({ scenario: scenario.name, outcome: 'accepted' });
          return reply.code(202).send({ id });
        }
        if (result.status === 422) {
          events.inc({ scenario: scenario.name, outcome: 'invalid' });
          return sendError(reply, 422, { ...(result.body as ErrorBody), id });
        }
        events.inc({ scenario: scenario.name, outcome: 'unavailable' });
        return sendError(reply, 503, { error: 'unavailable', message: 'the event could not be made durable; retry with the same Idempotency-Key', id }, 1);
      };

      for (const path of [canonicalRoute(scenario), ...scenario.aliases]) scope.post(path, { bodyLimit }, single);

      const batchSchema = z.array(scenario.body).min(1).max(batchMax);
      scope.post(batchRoute(scenario), { bodyLimit: Math.max(bodyLimit, 1024 * 1024) }, async (request, reply) => {
        const stop = latency.startTimer({ scenario: scenario.name, kind: 'batch' });
        const parsed = batchSchema.safeParse(request.body);
        if (!parsed.success) {
          requests.inc({ scenario: scenario.name, kind: 'batch', status: 422 });
          return sendError(reply, 422, validationError(parsed.error));
        }
        const ids = eventIds(request, scenario, parsed.data.length);
        if (!Array.isArray(ids)) return sendError(reply, 400, ids);
        const acceptedAt = Date.now();
        const results = await Promise.all(parsed.data.map((body, i) => forwarder.forward(scenario, body, ids[i], acceptedAt)));
        stop();
        const accepted = results.filter(isAccepted).length;
        events.inc({ scenario: scenario.name, outcome: 'accepted' }, accepted);
        events.inc({ scenario: scenario.name, outcome: 'unavailable' }, results.length - accepted);
        if (accepted === results.length) {
          requests.inc({ scenario: scenario.name, kind: 'batch', status: 202 });
          return reply.code(202).send({ ids });
        }
        requests.inc({ scenario: scenario.name, kind: 'batch', status: 503 });
        return reply
          .code(503)
          .header('Retry-After', '1')
          .send({
            error: 'partially_accepted',
            message: `${accepted} of ${results.length} events were made durable; resend the others`,
            results: results.map((r, i) => ({ id: ids[i], status: isAccepted(r) ? 202 : 503 })),
          });
      });
    }
  });
}
