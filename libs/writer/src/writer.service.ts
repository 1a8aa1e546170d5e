import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type { EventPublisher } from '@oleada/broker';
import { writerBatch } from '@oleada/contracts';
import { eventRandom, type AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER, IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, idempotentEventId, LOGGER, METRIC_NAMES, METRICS, SCENARIO_HEADER, UUID_PATTERN, uuidv7, type Logger, type Metrics } from '@oleada/shared';
import { ATTR, EventSpans, isSampled, SpanKind, TRACEPARENT } from '@oleada/telemetry';
import { EVENT_PUBLISHER, WRITER_OPTIONS } from './writer.constants';

/** The batch RPC's span name and attributes (OpenTelemetry RPC conventions). */
const WRITE_BATCH_METHOD = `${writerBatch.protobufPackage}.EventBatchService/WriteBatch`;
const WRITE_BATCH_ATTRIBUTES = { [ATTR.rpcSystem]: 'grpc', [ATTR.rpcMethod]: WRITE_BATCH_METHOD };

export interface WriterOptions {
  /** Writer name, stamped on every record (`x-writer`). */
  readonly name: string;
  readonly scenarios: readonly AnyScenario[];
  /**
   * Seeds the decisions of scenarios whose writer decides something (olympics), with each event's
   * id: writers with the same seed decide the same for the same event.
   */
  readonly seed: number;
}

/** One event's fate: a gRPC status code and, unless OK, why. */
interface Outcome {
  readonly code: GrpcStatus;
  readonly detail: string;
}

/** The `outcome` label of the writer's metrics. */
type OutcomeLabel = 'accepted' | 'invalid' | 'unavailable';

const ACCEPTED: Outcome = { code: GrpcStatus.OK, detail: '' };
const UNAVAILABLE_DRAINING: Outcome = { code: GrpcStatus.UNAVAILABLE, detail: 'writer is shutting down' };
const UNAVAILABLE_BROKER: Outcome = { code: GrpcStatus.UNAVAILABLE, detail: 'broker unavailable' };

function metadataValue(metadata: Metadata, name: string): string | undefined {
  const [value] = metadata.get(name);
  return typeof value === 'string' ? value : value?.toString();
}

/**
 * The id of a unary call that brought none: derived from its idempotency key as the gateway does,
 * else a new UUIDv7. A malformed key gives no id (the call is refused, naming the key).
 */
function unaryEventId(scenario: AnyScenario, metadata: Metadata): string | undefined {
  const key = metadataValue(metadata, IDEMPOTENCY_KEY_HEADER);
  if (key === undefined) return uuidv7();
  return IDEMPOTENCY_KEY_PATTERN.test(key) ? idempotentEventId(scenario.name, key) : undefined;
}

/** Full name of the batch service, for the health service. */
export const BATCH_SERVICE_NAME = `${writerBatch.protobufPackage}.EventBatchService`;

/** The gRPC error of an event that was not made durable or was refused. */
function rpcError(outcome: Outcome): RpcException {
  return new RpcException({ code: outcome.code, details: outcome.detail, message: outcome.detail });
}

/**
 * What the writer's gRPC methods do: check the message, publish it, answer only once the broker
 * acknowledged it. A batch does the same for many events of a scenario in one call (the relay's
 * path under load); the events of a call share the publisher's produce requests.
 */
@Injectable()
export class WriterService {
  private draining = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly events;
  private readonly latency;
  private readonly byName: ReadonlyMap<string, AnyScenario>;
  private readonly labels = new Map<string, Readonly<Record<OutcomeLabel, { scenario: string; outcome: OutcomeLabel }>>>();

  constructor(
    @Inject(WRITER_OPTIONS) private readonly options: WriterOptions,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Metrics,
  ) {
    this.events = metrics.counter(METRIC_NAMES.writerEvents, 'Events handled by the writer', ['scenario', 'outcome']);
    this.latency = metrics.histogram(METRIC_NAMES.writerRpcDuration, 'From RPC arrival to broker acknowledgement', ['scenario', 'outcome']);
    this.byName = new Map(options.scenarios.map((s) => [s.name, s] as const));
  }

  /** The label sets of a scenario's outcomes, made once: prom-client reads them on every event. */
  private labelsOf(scenario: AnyScenario): Readonly<Record<OutcomeLabel, { scenario: string; outcome: OutcomeLabel }>> {
    let labels = this.labels.get(scenario.name);
    if (!labels) {
      const of = (outcome: OutcomeLabel) => ({ scenario: scenario.name, outcome });
      labels = { accepted: of('accepted'), invalid: of('invalid'), unavailable: of('unavailable') };
      this.labels.set(scenario.name, labels);
    }
    return labels;
  }

  /** Counts one event's outcome and the time since its RPC arrived (`arrivedAt`, performance.now()). */
  private finish(scenario: AnyScenario, outcome: OutcomeLabel, arrivedAt: number, result: Outcome): Outcome {
    const labels = this.labelsOf(scenario)[outcome];
    this.events.inc(labels);
    this.latency.observe(labels, (performance.now() - arrivedAt) / 1000);
    return result;
  }

  /**
   * Checks one event and publishes it; resolves with its outcome once the broker acknowledged it
   * (OK) or refused it (UNAVAILABLE), or at once when the event is wrong (INVALID_ARGUMENT).
   * Never rejects. `arrivedAt` is when its RPC arrived (performance.now()), shared by a batch's events.
   */
  private write(scenario: AnyScenario, eventId: string | undefined, acceptedAt: string, arrivedAt: number, message: unknown, encoded?: Buffer, traceparent?: string): Promise<Outcome> | Outcome {
    if (!eventId || !UUID_PATTERN.test(eventId)) return this.finish(scenario, 'invalid', arrivedAt, { code: GrpcStatus.INVALID_ARGUMENT, detail: `event id ${EVENT_ID_HEADER} must be a UUID` });
    if (this.draining) return this.finish(scenario, 'unavailable', arrivedAt, UNAVAILABLE_DRAINING);
    const problem = scenario.checkMessage(message);
    if (problem) return this.finish(scenario, 'invalid', arrivedAt, { code: GrpcStatus.INVALID_ARGUMENT, detail: problem });
    const topic = scenario.route(message, eventRandom(eventId, this.options.seed));
    // The producer span's context travels in the record's headers, to the consumer. Only a sampled
    // event gets one (the writer follows its caller's decision): the others cost this check.
    const send = isSampled(traceparent)
      ? EventSpans.start(`send ${topic}`, SpanKind.PRODUCER, [{ eventId, traceparent }], {
          [ATTR.messagingSystem]: this.publisher.system ?? 'unknown',
          [ATTR.messagingDestination]: topic,
          [ATTR.messagingOperationType]: 'send',
          [ATTR.messagingOperationName]: 'send',
          [ATTR.messagingMessageId]: eventId,
        })
      : undefined;
    const sent = send?.traceparent(0);
    return this.publisher
      .publish({
        topic,
        key: scenario.partitionKey(message),
        // A batched event arrives encoded already (the same message type): its bytes are stored as they came.
        value: encoded ?? Buffer.from(scenario.encode(message)),
        headers: {
          [EVENT_ID_HEADER]: eventId,
          [ACCEPTED_AT_HEADER]: acceptedAt,
          [SCENARIO_HEADER]: scenario.name,
          'x-writer': this.options.name,
          ...(sent ? { [TRACEPARENT]: sent } : {}),
        },
      })
      .then(
        () => {
          send?.end(0);
          return this.finish(scenario, 'accepted', arrivedAt, ACCEPTED);
        },
        (error: unknown) => {
          send?.end(0, (error as Error).name ?? 'Error');
          this.logger.warn({ err: error, eventId, scenario: scenario.name }, 'event not made durable');
          return this.finish(scenario, 'unavailable', arrivedAt, UNAVAILABLE_BROKER);
        },
      );
  }

  /**
   * The scenario's own unary method (e.g. ProcesarVenta), as the spec defines it: a client that
   * knows only the spec's .proto sends no Oleada metadata, and its event gets an id here, as the
   * gateway gives one to a request without Idempotency-Key (or derives it from an
   * `idempotency-key` metadata entry the same way). The relay passes the gateway's id along.
   * Resolves with the scenario's answer once durable; rejects with an RpcException otherwise.
   */
  async unary(scenario: AnyScenario, request: unknown, metadata: Metadata): Promise<unknown> {
    const arrivedAt = performance.now();
    const given = metadataValue(metadata, EVENT_ID_HEADER);
    const eventId = given ?? unaryEventId(scenario, metadata);
    if (eventId === undefined) {
      this.events.inc(this.labelsOf(scenario).invalid);
      throw rpcError({ code: GrpcStatus.INVALID_ARGUMENT, detail: `${IDEMPOTENCY_KEY_HEADER} must be 1-200 printable ASCII characters` });
    }
    const acceptedAt = Number(metadataValue(metadata, ACCEPTED_AT_HEADER));
    const method = scenario.grpc.service[scenario.grpc.method].path.slice(1);
    const served = EventSpans.start(method, SpanKind.SERVER, [{ eventId, traceparent: metadataValue(metadata, TRACEPARENT) }], { [ATTR.rpcSystem]: 'grpc', [ATTR.rpcMethod]: method, [ATTR.scenario]: scenario.name });
    const outcome = await this.track(this.write(scenario, eventId, String(acceptedAt || Date.now()), arrivedAt, request, undefined, served.traceparent(0)));
    served.end(0, outcome.code === GrpcStatus.OK ? undefined : GrpcStatus[outcome.code], { [ATTR.rpcStatus]: GrpcStatus[outcome.code] });
    if (outcome.code !== GrpcStatus.OK) throw rpcError(outcome);
    return scenario.acceptedResponse(eventId);
  }

  /**
   * EventBatchService/WriteBatch: many events of one scenario in one call, each with its own
   * outcome. The call itself fails only when it cannot be looked at (unknown scenario, draining).
   */
  async writeBatch(request: writerBatch.WriteBatchRequest): Promise<writerBatch.WriteBatchResponse> {
    const { scenario: name, events } = request;
    const scenario = this.byName.get(name);
    if (!scenario) throw rpcError({ code: GrpcStatus.INVALID_ARGUMENT, detail: `scenario ${JSON.stringify(name)} is not served by this writer` });
    if (this.draining) throw rpcError(UNAVAILABLE_DRAINING);
    const arrivedAt = performance.now();
    const now = String(Date.now());
    const decode = scenario.grpc.service[scenario.grpc.method].requestDeserialize;
    const served = EventSpans.start(WRITE_BATCH_METHOD, SpanKind.SERVER, events, {
      ...WRITE_BATCH_ATTRIBUTES,
      [ATTR.scenario]: scenario.name,
      [ATTR.batchSize]: events.length,
    });
    const outcomes = events.map((event, i) => {
      let message: unknown;
      try {
        message = decode(event.payload);
      } catch {
        this.events.inc(this.labelsOf(scenario).invalid);
        return { code: GrpcStatus.INVALID_ARGUMENT, detail: 'payload is not a valid message' };
      }
      return this.write(scenario, event.eventId, event.acceptedAt ? String(event.acceptedAt) : now, arrivedAt, message, event.payload, served.traceparent(i));
    });
    const results = await this.track(Promise.all(outcomes));
    results.forEach((outcome, i) => served.end(i, outcome.code === GrpcStatus.OK ? undefined : GrpcStatus[outcome.code], { [ATTR.rpcStatus]: GrpcStatus[outcome.code] }));
    return { outcomes: results.map((outcome, i) => ({ eventId: events[i].eventId, code: outcome.code, detail: outcome.detail })) };
  }

  /** Counts a call in flight until it has its outcome, so a drain can wait for it. */
  private async track<T>(work: Promise<T> | T): Promise<T> {
    this.inFlight++;
    try {
      return await work;
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  /** Refuses new events (UNAVAILABLE) and waits, at most `timeoutMs`, for those in flight to get their outcome. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
