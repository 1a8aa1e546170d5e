import { createParamDecorator, Inject, Injectable, type ArgumentMetadata, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, ErrorShapeException, EVENT_ID_HEADER, UUID_PATTERN, validationError } from '@oleada/shared';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RELAY_OPTIONS } from './relay.constants';
import { RelayMetrics } from './relay.metrics';

/** What a single-event request brings, unchecked: its body and the gateway's id and time headers. */
export interface RelayEventRequest {
  readonly body: unknown;
  readonly eventId: string | string[] | undefined;
  readonly acceptedAt: string | string[] | undefined;
}

/** One event, valid, as the writers get it. */
export interface RelayEvent {
  readonly eventId: string;
  readonly acceptedAt: number;
  /** The scenario's message (`scenario.toMessage`). */
  readonly message: unknown;
}

/** The body and headers of a single-event request, for RelayEventPipe; the decorator's data is the scenario's name. */
export const RelayEventInput = createParamDecorator((_scenario: string, context: ExecutionContext): RelayEventRequest => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { body: request.body, eventId: request.headers[EVENT_ID_HEADER], acceptedAt: request.headers[ACCEPTED_AT_HEADER] };
});

/** The event id header (400), then the body against the scenario's schema (422 naming the id, counted). */
@Injectable()
export class RelayEventPipe implements PipeTransform<RelayEventRequest, RelayEvent> {
  private readonly scenarios: ReadonlyMap<string, AnyScenario>;

  constructor(
    @Inject(RELAY_OPTIONS) options: { readonly scenarios: readonly AnyScenario[] },
    private readonly metrics: RelayMetrics,
  ) {
    this.scenarios = new Map(options.scenarios.map((s) => [s.name, s]));
  }

  transform(request: RelayEventRequest, { data }: ArgumentMetadata): RelayEvent {
    const scenario = this.scenarios.get(data as string)!;
    const { eventId } = request;
    if (typeof eventId !== 'string' || !UUID_PATTERN.test(eventId)) {
      throw new ErrorShapeException(400, { error: 'bad_request', message: `${EVENT_ID_HEADER} must be a UUID`, field: EVENT_ID_HEADER });
    }
    const parsed = scenario.body.safeParse(request.body);
    if (!parsed.success) {
      this.metrics.requests.inc({ scenario: scenario.name, status: 422 });
      throw new ErrorShapeException(422, { ...validationError(parsed.error), id: eventId });
    }
    return { eventId, acceptedAt: Number(request.acceptedAt) || Date.now(), message: scenario.toMessage(parsed.data) };
  }
}

/** A W3C `traceparent` of version 00: version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT_PATTERN = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

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
              /** The event's W3C trace context, when the gateway traces. */
              traceparent: z.string().regex(TRACEPARENT_PATTERN, 'must be a W3C traceparent').optional(),
            })
            .strict(),
        )
        .min(1)
        .max(batchMax),
    })
    .strict();
}

export type RelayBatchRequest = z.infer<ReturnType<typeof relayBatchSchema>>;

/** A batch's envelope (400 naming the field); its events are checked one by one by RelayService, each answered on its own. */
@Injectable()
export class RelayBatchPipe implements PipeTransform<unknown, RelayBatchRequest> {
  private readonly schema: ReturnType<typeof relayBatchSchema>;

  constructor(@Inject(RELAY_OPTIONS) options: { readonly batchMax: number }) {
    this.schema = relayBatchSchema(options.batchMax);
  }

  transform(body: unknown): RelayBatchRequest {
    const parsed = this.schema.safeParse(body);
    if (!parsed.success) throw new ErrorShapeException(400, validationError(parsed.error));
    return parsed.data;
  }
}
