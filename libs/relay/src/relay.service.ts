import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { relayBatchRoute, type AnyScenario } from '@oleada/scenarios';
import { ErrorShapeException, LOGGER, validationError, type Logger } from '@oleada/shared';
import { ATTR, EventSpans, SpanKind } from '@oleada/telemetry';
import { RelayCapacity } from './relay-capacity';
import type { RelayBatchRequest, RelayEvent } from './relay-input.pipe';
import { WRITER_CALLER } from './relay.constants';
import { RelayMetrics } from './relay.metrics';
import type { BatchEvent, WriterCaller } from './writer-caller';

/** One event's answer in a batch: the status it would have had alone, and the error body's fields. */
export interface RelayBatchResult {
  readonly id: string;
  readonly status: number;
  readonly error?: string;
  readonly message?: string;
  readonly field?: string;
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

/** What a client hears of one writer outcome: the HTTP status, and unless 202 the error body's fields. */
function answerFor(code: GrpcStatus, detail: string): { status: number; error?: string; message?: string } {
  if (code === GrpcStatus.OK) return { status: 202 };
  const status = httpStatusFor(code);
  return status === 422 ? { status, error: 'invalid_event', message: detail } : { status, error: 'unavailable', message: 'the event was not made durable; retry' };
}

/**
 * Hands checked events to the writers (WRITER_CALLER: round-robin over a group's targets, the
 * refused events retried on the next within the deadline; a fan-out over several groups) and turns
 * their gRPC outcomes into HTTP answers. Closes the channels on shutdown.
 */
@Injectable()
export class RelayService implements OnApplicationShutdown {
  constructor(
    @Inject(WRITER_CALLER) private readonly writers: WriterCaller,
    private readonly capacity: RelayCapacity,
    private readonly metrics: RelayMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** One event, through the scenario's own unary method: 202, or the error its gRPC status maps to. */
  async sendOne(scenario: AnyScenario, { eventId, acceptedAt, message }: RelayEvent): Promise<{ id: string }> {
    const { requests, grpcLatency } = this.metrics;
    return this.capacity.hold(1, async () => {
      const stop = grpcLatency.startTimer({ scenario: scenario.name });
      try {
        await this.writers.call(scenario, message, eventId, acceptedAt);
        stop({ code: 'OK' });
        requests.inc({ scenario: scenario.name, status: 202 });
        return { id: eventId };
      } catch (error) {
        const grpcError = error as ServiceError;
        const code = typeof grpcError.code === 'number' ? grpcError.code : GrpcStatus.UNKNOWN;
        stop({ code: GrpcStatus[code] });
        const { status, error: kind = '', message: text = '' } = answerFor(code, grpcError.details);
        requests.inc({ scenario: scenario.name, status });
        if (status >= 500) this.logger.warn({ eventId, code: GrpcStatus[code], details: grpcError.details }, 'writer call failed');
        throw new ErrorShapeException(status, { error: kind, message: text, id: eventId }, status === 422 ? undefined : 1);
      }
    });
  }

  /**
   * A gateway's batch: each event checked against the scenario's schema, the valid ones in one
   * EventBatchService call; one answer per event, in order, the status it would have had alone.
   */
  async sendBatch(scenario: AnyScenario, { events: entries }: RelayBatchRequest): Promise<{ results: RelayBatchResult[] }> {
    const { requests, grpcLatency } = this.metrics;
    if (!this.capacity.admits(entries.length)) {
      requests.inc({ scenario: scenario.name, status: 503 }, entries.length);
      throw this.capacity.overloaded();
    }
    const results: RelayBatchResult[] = new Array<RelayBatchResult>(entries.length);
    const valid: BatchEvent[] = [];
    const positions: number[] = [];
    const route = relayBatchRoute(scenario);
    const spans = EventSpans.start(`POST ${route}`, SpanKind.SERVER, entries.map((entry) => ({ eventId: entry.id, traceparent: entry.traceparent })), {
      [ATTR.httpMethod]: 'POST',
      [ATTR.httpRoute]: route,
      [ATTR.scenario]: scenario.name,
      [ATTR.batchSize]: entries.length,
    });
    entries.forEach((entry, i) => {
      const body = scenario.body.safeParse(entry.event);
      if (body.success) {
        valid.push({ eventId: entry.id, acceptedAt: entry.acceptedAt, message: scenario.toMessage(body.data), traceparent: spans.traceparent(i) });
        positions.push(i);
      } else {
        const { error, message, field } = validationError(body.error);
        results[i] = { id: entry.id, status: 422, error, message, field };
        requests.inc({ scenario: scenario.name, status: 422 });
        spans.end(i, undefined, { [ATTR.httpStatus]: 422, [ATTR.errorType]: error });
      }
    });
    if (valid.length === 0) return { results };
    await this.capacity.hold(valid.length, async () => {
      const stop = grpcLatency.startTimer({ scenario: scenario.name });
      const outcomes = await this.writers.callBatch(scenario, valid);
      const worst = outcomes.find((outcome) => outcome.code !== GrpcStatus.OK)?.code ?? GrpcStatus.OK;
      stop({ code: GrpcStatus[worst] });
      let failed = 0;
      outcomes.forEach((outcome, k) => {
        const answer = answerFor(outcome.code, outcome.detail);
        requests.inc({ scenario: scenario.name, status: answer.status });
        if (answer.status >= 500) failed++;
        results[positions[k]] = { id: valid[k].eventId, ...answer };
        spans.end(positions[k], answer.status >= 500 ? GrpcStatus[outcome.code] : undefined, { [ATTR.httpStatus]: answer.status });
      });
      if (failed > 0) {
        const first = outcomes.find((outcome) => outcome.code !== GrpcStatus.OK && httpStatusFor(outcome.code) >= 500);
        this.logger.warn({ scenario: scenario.name, failed, of: outcomes.length, code: first && GrpcStatus[first.code], details: first?.detail }, 'writer batch partly failed');
      }
    });
    return { results };
  }

  onApplicationShutdown(): void {
    this.writers.close();
  }
}
