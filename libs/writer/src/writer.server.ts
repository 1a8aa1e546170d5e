import { Server, ServerCredentials, status as GrpcStatus, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { EventPublisher } from '@oleada/broker';
import type { AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER, METRIC_NAMES, SCENARIO_HEADER, UUID_PATTERN, type Logger, type Metrics } from '@oleada/shared';
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

function metadataValue(metadata: Metadata, name: string): string | undefined {
  const [value] = metadata.get(name);
  return typeof value === 'string' ? value : value?.toString();
}

/**
 * The writer's gRPC server. Every scenario's service is registered from its definition with one
 * generic handler: check the message, publish it, answer only once the broker acknowledged it.
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
    this.health = new GrpcHealth(options.scenarios.map((s) => s.grpc.serviceName));
    for (const scenario of options.scenarios) {
      this.server.addService(scenario.grpc.service, { [scenario.grpc.method]: this.handler(scenario) });
    }
    this.health.addTo(this.server);
  }

  private handler(scenario: AnyScenario) {
    const { publisher, logger } = this.options;
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const stop = this.latency.startTimer({ scenario: scenario.name });
      const fail = (code: GrpcStatus, details: string, outcome: string) => {
        this.events.inc({ scenario: scenario.name, outcome });
        stop({ outcome });
        callback({ code, details });
      };
      const eventId = metadataValue(call.metadata, EVENT_ID_HEADER);
      if (!eventId || !UUID_PATTERN.test(eventId)) return fail(GrpcStatus.INVALID_ARGUMENT, `metadata ${EVENT_ID_HEADER} must be a UUID`, 'invalid');
      if (this.draining) return fail(GrpcStatus.UNAVAILABLE, 'writer is shutting down', 'unavailable');
      const message = call.request;
      const problem = scenario.checkMessage(message);
      if (problem) return fail(GrpcStatus.INVALID_ARGUMENT, problem, 'invalid');
      const acceptedAt = Number(metadataValue(call.metadata, ACCEPTED_AT_HEADER)) || Date.now();
      publisher
        .publish({
          topic: scenario.route(message, this.random),
          key: scenario.partitionKey(message),
          value: Buffer.from(scenario.encode(message)),
          headers: {
            [EVENT_ID_HEADER]: eventId,
            [ACCEPTED_AT_HEADER]: String(acceptedAt),
            [SCENARIO_HEADER]: scenario.name,
            'x-writer': this.options.name,
          },
        })
        .then(
          () => {
            this.events.inc({ scenario: scenario.name, outcome: 'accepted' });
            stop({ outcome: 'accepted' });
            callback(null, scenario.acceptedResponse());
          },
          (error: unknown) => {
            logger.warn({ err: error, eventId, scenario: scenario.name }, 'event not made durable');
            fail(GrpcStatus.UNAVAILABLE, 'broker unavailable', 'unavailable');
          },
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
