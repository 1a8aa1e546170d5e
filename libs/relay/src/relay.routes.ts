import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { relayBatchRoute, relayRoute, type AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER, installErrorHandler, installStrictJsonParser, METRIC_NAMES, sendError, UUID_PATTERN, validationError, type Logger, type Metrics } from '@oleada/shared';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BatchEvent, WriterCaller } from './writer-fanout';

export interface RelayRoutesOptions {
  readonly scenarios: readonly AnyScenario[];
  /** The writers: one group (`WRITER_TARGETS`) or a fan-out to several (`FANOUT_TARGETS`). */
  readonly clients: WriterCaller;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Events in flight before new ones get a fast 503. */
  readonly maxInFlight: number;
  /** Most events in one batch request. @default 1000 */
  readonly batchMax?: number;
}

/** One event's answer in a batch: the status it would have had alone, and the error body's fields. */
export interface RelayBatchResult {
  readonly id: string;
  readonly status: number;
  readonly error?: string;
  readonly message?: string;
  readonly field?: string;
}

/** What a client hears of one writer outcome: the HTTP status, and unless 202 the error body's fields. */
function answerFor(code: GrpcStatus, detail: string): { status: number; error?: string; message?: string } {
  if (code === GrpcStatus.OK) return { status: 202 };
  const status = httpStatusFor(code);
  return status === 422 ? { status, error: 'invalid_event', message: detail } : { status, error: 'unavailable', message: 'the event was not made durable; retry' };
}

/** The body of a batch request: the gateway's accepted events, each with its id and arrival time. */
export function relayBatchSchema(batchMax: number) {
  return z
    .object({
      events: z
        .array(
          z
            .object({
              id: z.string().regex(UUID_PATTERN, 'must be a UUID'),
              acceptedAt: z.number().int().positive(),
              event: z.unknown(),
            })
            .strict(),
        )
        .min(1)
        .max(batchMax),
    })
    .strict();
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

/**
 * The relay's REST endpoints per scenario: one event (validate, then one call of the scenario's
 * own gRPC method), and a batch (validate each, then one EventBatchService call carrying them all;
 * the gateway's path under load). A batch answers 200 with one status per event.
 */
export async function registerRelayRoutes(fastify: FastifyInstance, options: RelayRoutesOptions): Promise<void> {
  const { scenarios, clients, logger, metrics, maxInFlight } = options;
  const requests = metrics.counter(METRIC_NAMES.relayRequests, 'Relay requests by outcome', ['scenario', 'status']);
  const grpcLatency = metrics.histogram(METRIC_NAMES.relayGrpcDuration, 'relay → writer gRPC call latency', ['scenario', 'code']);
  const batchSchema = relayBatchSchema(options.batchMax ?? 1000);
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
          const { status, error: kind = '', message = '' } = answerFor(code, grpcError.details);
          requests.inc({ scenario: scenario.name, status });
          if (status >= 500) logger.warn({ eventId, code: GrpcStatus[code], details: grpcError.details }, 'writer call failed');
          return sendError(reply, status, { error: kind, message, id: eventId }, status === 422 ? undefined : 1);
        } finally {
          inFlight--;
        }
      });

      scope.post(relayBatchRoute(scenario), { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
        const parsed = batchSchema.safeParse(request.body);
        if (!parsed.success) return sendError(reply, 400, validationError(parsed.error));
        const entries = parsed.data.events;
        if (inFlight > 0 && inFlight + entries.length > maxInFlight) {
          requests.inc({ scenario: scenario.name, status: 503 }, entries.length);
          return sendError(reply, 503, { error: 'overloaded', message: 'relay is at capacity' }, 1);
        }
        const results: RelayBatchResult[] = new Array<RelayBatchResult>(entries.length);
        const valid: BatchEvent[] = [];
        const positions: number[] = [];
        entries.forEach((entry, i) => {
          const body = scenario.body.safeParse(entry.event);
          if (body.success) {
            valid.push({ eventId: entry.id, acceptedAt: entry.acceptedAt, message: scenario.toMessage(body.data) });
            positions.push(i);
          } else {
            const { error, message, field } = validationError(body.error);
            results[i] = { id: entry.id, status: 422, error, message, field };
            requests.inc({ scenario: scenario.name, status: 422 });
          }
        });
        if (valid.length > 0) {
          inFlight += valid.length;
          const stop = grpcLatency.startTimer({ scenario: scenario.name });
          try {
            const outcomes = await clients.callBatch(scenario, valid);
            const worst = outcomes.find((outcome) => outcome.code !== GrpcStatus.OK)?.code ?? GrpcStatus.OK;
            stop({ code: GrpcStatus[worst] });
            let failed = 0;
            outcomes.forEach((outcome, k) => {
              const answer = answerFor(outcome.code, outcome.detail);
              requests.inc({ scenario: scenario.name, status: answer.status });
              if (answer.status >= 500) failed++;
              results[positions[k]] = { id: valid[k].eventId, ...answer };
            });
            if (failed > 0) {
              const first = outcomes.find((outcome) => outcome.code !== GrpcStatus.OK && httpStatusFor(outcome.code) >= 500);
              logger.warn({ scenario: scenario.name, failed, of: outcomes.length, code: first && GrpcStatus[first.code], details: first?.detail }, 'writer batch partly failed');
            }
          } finally {
            inFlight -= valid.length;
          }
        }
        return reply.code(200).send({ results });
      });
    }
  });
}
