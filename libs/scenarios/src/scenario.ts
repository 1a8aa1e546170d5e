import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Aggregate } from '@oleada/valkey-schema';
import type { z } from 'zod';

/** Everything a hop knows about a record besides its payload. */
export interface RecordMeta {
  readonly eventId: string;
  /** When the gateway accepted the event (Unix ms); picks the per-minute bucket. */
  readonly acceptedAt: number;
  /** The topic or queue it was read from. */
  readonly topic: string;
}

/** A decoding or validation failure; the record goes to the dead-letter topic with this reason. */
export class InvalidRecordError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidRecordError';
  }
}

/**
 * One domain of events. Every part of the system reads a scenario from here and only here: the
 * gateway its REST schema and routes, the relay and writer its gRPC service and message, the
 * writer its topics and partition key, the consumer its decoding and aggregates, dashboards and
 * Locust its aggregates and sample data. Adding a scenario never touches the apps.
 *
 * @typeParam Body    the validated REST body (what clients send)
 * @typeParam Message the protobuf message on the gRPC hop and in the broker
 * @typeParam Rec     what the consumer aggregates (the message plus anything the writer decided)
 */
export interface ScenarioDefinition<Body = unknown, Message = unknown, Rec = unknown> {
  /** Lower-case id: URL segment, key namespace, topic prefix. */
  readonly name: string;
  readonly title: string;
  readonly description: string;

  /** Strict REST schema: rejects unknown fields, wrong types, out-of-range values. */
  readonly body: z.ZodType<Body>;
  /** Public routes besides `POST /api/v1/<name>/events` (seed-compatible aliases). */
  readonly aliases: readonly string[];

  readonly grpc: {
    /** The generated grpc-js service definition. */
    readonly service: ServiceDefinition;
    /** Key of the unary method in `service` (e.g. `procesarVenta`). */
    readonly method: string;
    /** Fully qualified service name, for the health service. */
    readonly serviceName: string;
  };
  /** REST body → wire message. */
  toMessage(body: Body): Message;
  /** Checks a decoded wire message; returns the problem, or undefined when valid. */
  checkMessage(message: Message): string | undefined;
  /** The answer the writer gives once the record is durable: its status text says so, with the event id. */
  acceptedResponse(eventId: string): unknown;
  /** Protobuf encoding of the message, as stored in the broker. */
  encode(message: Message): Uint8Array;

  /** Topics the writer may publish to, and the consumer subscribes to. */
  readonly topics: readonly string[];
  readonly deadLetterTopic: string;
  /** Partitions per topic: at least the consumer's maximum replicas. */
  readonly partitions: number;
  /** Durable queue (RabbitMQ) per topic name, and its dead-letter queue. */
  readonly queues: { readonly deadLetter: string };
  /**
   * Chooses the topic for a message (the writer decides). `random` is the event's own source
   * (eventRandom of its id and the writer's seed), so the choice follows from the event alone.
   */
  route(message: Message, random: () => number): string;
  /** Partition key: records with the same key stay in order. */
  partitionKey(message: Message): string;

  /** Broker bytes → the record to aggregate; throws InvalidRecordError when it is not valid. */
  decode(bytes: Uint8Array, meta: RecordMeta): Rec;
  /** What Valkey keeps for this scenario. */
  readonly aggregates: readonly Aggregate<Rec>[];
  /** The aggregate behind the headline bar chart (one bar per field). */
  readonly headline: string;

  /** Sample data (JSON, shared with Locust and published as an OCI artifact). */
  readonly dataset: unknown;
  /** One realistic REST body drawn from the dataset. */
  sample(random: () => number): Body;
}

/** Erases the type parameters, for code that handles every scenario alike. */
export type AnyScenario = ScenarioDefinition<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The canonical public route of a scenario. */
/** The status text of a writer's answer to one accepted event (the spec's `estado`). */
export function acceptedStatus(eventId: string): string {
  return `accepted: event ${eventId} is durable in the broker`;
}

export function canonicalRoute(scenario: Pick<AnyScenario, 'name'>): string {
  return `/api/v1/${scenario.name}/events`;
}

/** The public batch route of a scenario (a JSON array of bodies). */
export function batchRoute(scenario: Pick<AnyScenario, 'name'>): string {
  return `/api/v1/${scenario.name}/events:batch`;
}

/** The relay's internal route for a scenario. */
export function relayRoute(scenario: Pick<AnyScenario, 'name'>): string {
  return `/internal/v1/${scenario.name}/events`;
}

/** The relay's internal batch route for a scenario: many events, one outcome each. */
export function relayBatchRoute(scenario: Pick<AnyScenario, 'name'>): string {
  return `${relayRoute(scenario)}:batch`;
}

/** The RabbitMQ queues of some scenarios: one per topic (named like it), each with its scenario's dead-letter queue. */
export function queuesOf(scenarios: readonly AnyScenario[]): Array<{ readonly queue: string; readonly deadLetterQueue: string }> {
  return scenarios.flatMap((s) => s.topics.map((topic) => ({ queue: topic, deadLetterQueue: s.queues.deadLetter })));
}
