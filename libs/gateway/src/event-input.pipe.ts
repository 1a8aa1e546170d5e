import { createParamDecorator, Inject, Injectable, type ArgumentMetadata, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { AnyScenario } from '@oleada/scenarios';
import { ErrorShapeException, IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, idempotentEventId, uuidv7, validationError } from '@oleada/shared';
import { requestTrace, type RequestTrace } from '@oleada/telemetry';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_OPTIONS } from './gateway.constants';
import { GatewayMetrics } from './gateway.metrics';
import { requestFingerprint } from './idempotency-store';

/** What an event request brings, unchecked: its body and its Idempotency-Key header (and its trace, when tracing). */
export interface EventRequest {
  readonly body: unknown;
  readonly idempotencyKey: string | string[] | undefined;
  readonly trace?: RequestTrace;
}

/** A request sent with an Idempotency-Key: the id its key stands for, and its body's fingerprint. */
export interface IdempotentRequest {
  readonly requestId: string;
  readonly fingerprint: string;
}

/** One event, valid, with its id. */
export interface AcceptedEvent {
  readonly event: unknown;
  readonly id: string;
  /** Set when the request brought an Idempotency-Key. */
  readonly idempotency?: IdempotentRequest;
  /** The request's trace (tracing on): where its event is noted, and the context it hands on. */
  readonly trace?: RequestTrace;
}

/** A batch of events, each valid, with their ids (same order). */
export interface AcceptedBatch {
  readonly events: readonly unknown[];
  readonly ids: string[];
  /** Set when the request brought an Idempotency-Key. */
  readonly idempotency?: IdempotentRequest;
  /** The request's trace (tracing on). */
  readonly trace?: RequestTrace;
}

/**
 * The body and Idempotency-Key of an event request, for SingleEventPipe or BatchEventPipe, which
 * check both in the order the answer depends on; the decorator's data is the scenario's name.
 */
export const EventInput = createParamDecorator((_scenario: string, context: ExecutionContext): EventRequest => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { body: request.body, idempotencyKey: request.headers[IDEMPOTENCY_KEY_HEADER], trace: requestTrace(request) };
});

/** The client's Idempotency-Key, if it sent a valid one; 400 if it sent one that is not. */
function idempotencyKey(request: EventRequest): string | undefined {
  const key = request.idempotencyKey;
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ErrorShapeException(400, { error: 'bad_request', message: 'Idempotency-Key must be 1-200 printable ASCII characters', field: IDEMPOTENCY_KEY_HEADER });
  }
  return key;
}

interface PipeOptions {
  readonly scenarios: readonly AnyScenario[];
  readonly batchMax: number;
}

/**
 * One event: the Idempotency-Key (400), then the body against the scenario's schema (422, counted
 * as an invalid event); its id derives from the key (with the body's fingerprint, which
 * GatewayService checks against the key's first use), or is a fresh UUIDv7.
 */
@Injectable()
export class SingleEventPipe implements PipeTransform<EventRequest, AcceptedEvent> {
  private readonly scenarios: ReadonlyMap<string, AnyScenario>;

  constructor(
    @Inject(GATEWAY_OPTIONS) options: PipeOptions,
    private readonly metrics: GatewayMetrics,
  ) {
    this.scenarios = new Map(options.scenarios.map((s) => [s.name, s]));
  }

  transform(request: EventRequest, { data: scenario }: ArgumentMetadata): AcceptedEvent {
    const key = idempotencyKey(request);
    const definition = this.scenarios.get(scenario as string)!;
    const parsed = (definition.body as z.ZodType).safeParse(request.body);
    if (!parsed.success) {
      this.metrics.events.inc({ scenario, outcome: 'invalid' });
      this.metrics.requests.inc({ scenario, kind: 'single', status: 422 });
      throw new ErrorShapeException(422, validationError(parsed.error));
    }
    if (key === undefined) return { event: parsed.data, id: uuidv7(), trace: request.trace };
    const id = idempotentEventId(definition.name, key);
    return { event: parsed.data, id, idempotency: { requestId: id, fingerprint: requestFingerprint(definition, 'single', [parsed.data]) }, trace: request.trace };
  }
}

/**
 * A batch: the JSON array against the scenario's schema, 1 to `batchMax` events (422), then the
 * Idempotency-Key (400); event i's id derives from the key and i, or is a fresh UUIDv7.
 */
@Injectable()
export class BatchEventPipe implements PipeTransform<EventRequest, AcceptedBatch> {
  private readonly schemas: ReadonlyMap<string, z.ZodType<unknown[]>>;
  private readonly scenarios: ReadonlyMap<string, AnyScenario>;

  constructor(
    @Inject(GATEWAY_OPTIONS) options: PipeOptions,
    private readonly metrics: GatewayMetrics,
  ) {
    this.schemas = new Map(options.scenarios.map((s) => [s.name, z.array(s.body as z.ZodType).min(1).max(options.batchMax)]));
    this.scenarios = new Map(options.scenarios.map((s) => [s.name, s]));
  }

  transform(request: EventRequest, { data: scenario }: ArgumentMetadata): AcceptedBatch {
    const parsed = this.schemas.get(scenario as string)!.safeParse(request.body);
    if (!parsed.success) {
      this.metrics.requests.inc({ scenario, kind: 'batch', status: 422 });
      throw new ErrorShapeException(422, validationError(parsed.error));
    }
    const key = idempotencyKey(request);
    const events = parsed.data;
    if (key === undefined) return { events, ids: events.map(() => uuidv7()), trace: request.trace };
    const name = scenario as string;
    // The request is bound under the key's own id (a single request with the same key is another request with it).
    const idempotency = { requestId: idempotentEventId(name, key), fingerprint: requestFingerprint(this.scenarios.get(name)!, 'batch', events) };
    return { events, ids: events.map((_, i) => idempotentEventId(name, key, i)), idempotency, trace: request.trace };
  }
}
