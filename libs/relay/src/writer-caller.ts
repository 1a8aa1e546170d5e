import type { status as GrpcStatus } from '@grpc/grpc-js';
import type { AnyScenario } from '@oleada/scenarios';

/** One event of a batch, ready for the gRPC hop. */
export interface BatchEvent {
  readonly eventId: string;
  readonly acceptedAt: number;
  /** The scenario's wire message. */
  readonly message: unknown;
  /** The event's trace context, handed on to the writer. */
  readonly traceparent?: string;
}

/** What became of one event: a gRPC status code (OK once durable) and, unless OK, why. */
export interface EventOutcome {
  readonly code: GrpcStatus;
  readonly detail: string;
}

/** What the relay calls to make events durable: one group of writers, or several at once. */
export interface WriterCaller {
  call(scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number): Promise<unknown>;
  /** One outcome per event, in order; never rejects. */
  callBatch(scenario: AnyScenario, events: readonly BatchEvent[]): Promise<EventOutcome[]>;
  close(): void;
}
