import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { relayRoute, type AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER, installErrorHandler, installStrictJsonParser, METRIC_NAMES, sendError, UUID_PATTERN, validationError, type Logger, type Metrics } from '@oleada/shared';
import type { FastifyInstance } from 'fastify';
import type { WriterCaller } from './writer-fanout';

export interface RelayRoutesOptions {
  readonly scenarios: readonly AnyScenario[];
  /** The writers: one group (`WRITER_TARGETS`) or a fan-out to several (`FANOUT_TARGETS`). */
  readonly clients: WriterCaller;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxInFlight: number;
}

/** gRPC status → HTTP status of the relay's answer. */
export function httpStatusFor(code: GrpcStatus): number {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.FAILED_PRECONDITION:
    case GrpcStatus.OUT_OF_RANGE:
      return 422;
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.RESOURCE_EXHAUSTED:
    case GrpcStatus.ABORTED:
    case GrpcStatus.CANCELLED:
      return 503;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 502;
  }
}

/** The relay's REST endpoint per scenario: validate, then one gRPC call to a writer. */
export async function registerRelayRoutes(fastify: FastifyInstance, options: RelayRoutesOptions): Promise<void> {
  const { scenarios, clients, logger, metrics, maxInFlight } = options;
  const requests = metrics.counter(METRIC_NAMES.relayRequests, 'Relay requests by outcome', ['scenario', 'status']);
  const grpcLatency = metrics.histogram(METRIC_NAMES.relayGrpcDuration, 'relay → writer gRPC call latency', ['scenario', 'code']);
  let inFlight = 0;

  await fastify.register(async (scope) => {
    installErrorHandler(scope, logger);
    installStrictJsonParser(scope);
    for (const scenario of scenarios) {
      scope.post(relayRoute(scenario), async (request, reply) => {
        if (inFlight >= maxInFlight) {
          requests.inc({ scenario: scenario.name, status: 503 });
          return sendError(reply, 503, { error: 'overloaded', message: 'relay is at capacity' }, 1);
        }
        const eventId = request.headers[EVENT_ID_HEADER];
        if (typeof eventId !== 'string' || !UUID_PATTERN.test(eventId)) {
          return sendError(reply, 400, { error: 'bad_request', message: `${EVENT_ID_HEADER} must be a UUID`, field: EVENT_ID_HEADER });
        }
        const acceptedAt = Number(request.headers[ACCEPTED_AT_HEADER]) || Date.now();
        const parsed = scenario.body.safeParse(request.body);
        if (!parsed.success) {
          requests.inc({ scenario: scenario.name, status: 422 });
          return sendError(reply, 422, { ...validationError(parsed.error), id: eventId });
        }
        inFlight++;
        const stop = grpcLatency.startTimer({ scenario: scenario.name });
        try {
          await clients.call(scenario, scenario.toMessage(parsed.data), eventId, acceptedAt);
          stop({ code: 'OK' });
          requests.inc({ scenario: scenario.name, status: 202 });
          return reply.code(202).send({ id: eventId });
        } catch (error) {
          const grpcError = error as ServiceError;
          const code = typeof grpcError.code === 'number' ? grpcError.code : GrpcStatus.UNKNOWN;
          stop({ code: GrpcStatus[code] });
          const status = httpStatusFor(code);
          requests.inc({ scenario: scenario.name, status });
          if (status >= 500) logger.warn({ eventId, code: GrpcStatus[code], details: grpcError.details }, 'writer call failed');
          if (status === 422) return sendError(reply, 422, { error: 'invalid_event', message: grpcError.details, id: eventId });
          return sendError(reply, status, { error: 'unavailable', message: 'the event was not made durable; retry', id: eventId }, 1);
        } finally {
          inFlight--;
        }
      });
    }
  });
}
