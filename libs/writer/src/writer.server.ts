import { Server, ServerCredentials, status as GrpcStatus, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { EventPublisher } from '@oleada/broker';
import { writerBatch } from '@oleada/contracts';
import type { AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER, IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, idempotentEventId, METRIC_NAMES, SCENARIO_HEADER, UUID_PATTERN, uuidv7, type Logger, type Metrics } from '@oleada/shared';
import { GrpcHealth } from './health.service';

export interface WriterServerOptions {
  readonly name: string;
  readonly scenarios: readonly AnyScenario[];
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Source of randomness for scenarios whose writer decides something (olympics). */
  readonly random?: () => number;
}

/** One event's fate: a gRPC status code and, unless OK, why. */
interface Outcome {
  readonly code: GrpcStatus;
  readonly detail: string;
}

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

/**
 * The writer's gRPC server. Every scenario's service is registered from its definition with one
 * generic handler: check the message, publish it, answer only once the broker acknowledged it.
 * EventBatchService does the same for many events of a scenario in one call (the relay's path
 * under load); the events of a call share the publisher's produce requests.
 */
export class WriterServer {
  private readonly server = new Server({ 'grpc.max_concurrent_streams': 1000 });
  readonly health: GrpcHealth;
  private draining = false;
  private readonly events;
  private readonly latency;
  private readonly random: () => number;

  constructor(private readonly options: WriterServerOptions) {
    this.random = options.random ?? Math.random;
    this.events = options.metrics.counter(METRIC_NAMES.writerEvents, 'Events handled by the writer', ['scenario', 'outcome']);
    this.latency = options.metrics.histogram(METRIC_NAMES.writerRpcDuration, 'From RPC arrival to broker acknowledgement', ['scenario', 'outcome']);
    this.health = new GrpcHealth([...options.scenarios.map((s) => s.grpc.serviceName), BATCH_SERVICE_NAME]);
    for (const scenario of options.scenarios) {
      this.server.addService(scenario.grpc.service, { [scenario.grpc.method]: this.handler(scenario) });
    }
    const byName = new Map(options.scenarios.map((s) => [s.name, s] as const));
    this.server.addService(writerBatch.EventBatchServiceService, { writeBatch: this.batchHandler(byName) });
    this.health.addTo(this.server);
  }

  /**
   * Checks one event and publishes it; resolves with its outcome once the broker acknowledged it
   * (OK) or refused it (UNAVAILABLE), or at once when the event is wrong (INVALID_ARGUMENT).
   * Never rejects.
   */
  private write(scenario: AnyScenario, eventId: string | undefined, acceptedAt: number, message: unknown, encoded?: Buffer): Promise<Outcome> | Outcome {
    const stop = this.latency.startTimer({ scenario: scenario.name });
    const finish = (outcome: string, result: Outcome): Outcome => {
      this.events.inc({ scenario: scenario.name, outcome });
      stop({ outcome });
      return result;
    };
    if (!eventId || !UUID_PATTERN.test(eventId)) return finish('invalid', { code: GrpcStatus.INVALID_ARGUMENT, detail: `event id ${EVENT_ID_HEADER} must be a UUID` });
    if (this.draining) return finish('unavailable', UNAVAILABLE_DRAINING);
    const problem = scenario.checkMessage(message);
    if (problem) return finish('invalid', { code: GrpcStatus.INVALID_ARGUMENT, detail: problem });
    return this.options.publisher
      .publish({
        topic: scenario.route(message, this.random),
        key: scenario.partitionKey(message),
        // A batched event arrives encoded already (the same message type): its bytes are stored as they came.
        value: encoded ?? Buffer.from(scenario.encode(message)),
        headers: {
          [EVENT_ID_HEADER]: eventId,
          [ACCEPTED_AT_HEADER]: String(acceptedAt || Date.now()),
          [SCENARIO_HEADER]: scenario.name,
          'x-writer': this.options.name,
        },
      })
      .then(
        () => finish('accepted', ACCEPTED),
        (error: unknown) => {
          this.options.logger.warn({ err: error, eventId, scenario: scenario.name }, 'event not made durable');
          return finish('unavailable', UNAVAILABLE_BROKER);
        },
      );
  }

  /**
   * The scenario's own unary method (e.g. ProcesarVenta), as the spec defines it: a client that
   * knows only the spec's .proto sends no Oleada metadata, and its event gets an id here, as the
   * gateway gives one to a request without Idempotency-Key (or derives it from an
   * `idempotency-key` metadata entry the same way). The relay passes the gateway's id along.
   */
  private handler(scenario: AnyScenario) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const given = metadataValue(call.metadata, EVENT_ID_HEADER);
      const eventId = given ?? unaryEventId(scenario, call.metadata);
      if (eventId === undefined) {
        this.events.inc({ scenario: scenario.name, outcome: 'invalid' });
        return callback({ code: GrpcStatus.INVALID_ARGUMENT, details: `${IDEMPOTENCY_KEY_HEADER} must be 1-200 printable ASCII characters` });
      }
      const acceptedAt = Number(metadataValue(call.metadata, ACCEPTED_AT_HEADER));
      void Promise.resolve(this.write(scenario, eventId, acceptedAt, call.request)).then((outcome) =>
        outcome.code === GrpcStatus.OK ? callback(null, scenario.acceptedResponse(eventId)) : callback({ code: outcome.code, details: outcome.detail }),
      );
    };
  }

  /**
   * EventBatchService/WriteBatch: many events of one scenario in one call, each with its own
   * outcome. The call itself fails only when it cannot be looked at (unknown scenario, draining).
   */
  private batchHandler(scenarios: ReadonlyMap<string, AnyScenario>) {
    return (call: ServerUnaryCall<writerBatch.WriteBatchRequest, writerBatch.WriteBatchResponse>, callback: sendUnaryData<writerBatch.WriteBatchResponse>) => {
      const { scenario: name, events } = call.request;
      const scenario = scenarios.get(name);
      if (!scenario) return callback({ code: GrpcStatus.INVALID_ARGUMENT, details: `scenario ${JSON.stringify(name)} is not served by this writer` });
      if (this.draining) return callback({ code: GrpcStatus.UNAVAILABLE, details: UNAVAILABLE_DRAINING.detail });
      const decode = scenario.grpc.service[scenario.grpc.method].requestDeserialize;
      const outcomes = events.map((event) => {
        let message: unknown;
        try {
          message = decode(event.payload);
        } catch {
          this.events.inc({ scenario: scenario.name, outcome: 'invalid' });
          return { code: GrpcStatus.INVALID_ARGUMENT, detail: 'payload is not a valid message' };
        }
        return this.write(scenario, event.eventId, event.acceptedAt, message, event.payload);
      });
      void Promise.all(outcomes).then((results) =>
        callback(null, { outcomes: results.map((outcome, i) => ({ eventId: events[i].eventId, code: outcome.code, detail: outcome.detail })) }),
      );
    };
  }

  /** Binds and starts serving; returns the bound port. */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
  }

  /** Refuses new calls, lets in-flight calls finish (bounded by `timeoutMs`), then closes. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    this.health.setAll(false);
    this.health.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
