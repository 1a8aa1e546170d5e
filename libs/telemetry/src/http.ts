import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { context, createContextKey, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, trace, type Attributes } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { ATTR } from './attributes';
import { W3C } from './propagation';
import { FORCE_SAMPLE_ATTRIBUTE } from './sampler';
import { activeTracer } from './sdk';
import { endSpan, nowMs } from './spans';

/** The event ids a request carried, noted by the handler (noteEvents) for the request's span. */
const EVENT_IDS = createContextKey('oleada.event.ids');

/**
 * Names the events the current request carries on its span (`oleada.event.id` for one event,
 * `oleada.event.ids` for several): what `npm run trace` finds it by. Does nothing without tracing.
 */
export function noteEvents(ids: readonly string[]): void {
  const noted = context.active().getValue(EVENT_IDS) as string[] | undefined;
  if (!noted) return;
  noted.push(...ids);
  const span = trace.getActiveSpan();
  if (ids.length === 1) span?.setAttribute(ATTR.eventId, ids[0]);
  else span?.setAttribute(ATTR.eventIds, [...ids]);
}

/**
 * The span of a request answered before Nest saw it (the gateway's admission hooks: 429 rate limited,
 * 503 shed), the child of the caller's `traceparent`, ended at once with the status and the error's
 * kind. Sampled like any request, not forced: at capacity, a span for every refused request would add
 * work exactly when there is none to spare (the head sampler and a sampled caller still keep theirs).
 */
export function refusedRequestSpan(request: FastifyRequest, status: number, errorKind: string): void {
  const tracer = activeTracer();
  if (!tracer) return;
  const parent = W3C.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
  const route = request.routeOptions.url ?? request.url;
  const attributes: Attributes = { [ATTR.httpMethod]: request.method, [ATTR.httpRoute]: route, [ATTR.urlPath]: request.url.split('?')[0] };
  const span = tracer.startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
  endSpan(span, status >= 500 ? errorKind : undefined, { [ATTR.httpStatus]: status, [ATTR.errorType]: errorKind });
}

/**
 * A SERVER span per request (`POST /api/v1/blackfriday/events`), the child of the caller's
 * `traceparent` if it sent one, active while pipes and handler run, ended when the answer is sent
 * with its status. A request the head sampler left out but that was refused or failed (status
 * 400 and up) still gets its span, marked FORCE_SAMPLE_ATTRIBUTE: "why was this event refused?"
 * always has an answer.
 */
@Injectable()
export class TraceRequestInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const tracer = activeTracer();
    if (!tracer || execution.getType() !== 'http') return next.handle();
    const request = execution.switchToHttp().getRequest<FastifyRequest>();
    const reply = execution.switchToHttp().getResponse<FastifyReply>();
    const parent = W3C.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const route = request.routeOptions.url ?? request.url;
    const name = `${request.method} ${route}`;
    const attributes: Attributes = { [ATTR.httpMethod]: request.method, [ATTR.httpRoute]: route, [ATTR.urlPath]: request.url.split('?')[0] };
    const startTime = nowMs();
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, startTime }, parent);
    const ids: string[] = [];
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const status = reply.statusCode;
      const last: Attributes = { [ATTR.httpStatus]: status, ...(ids.length === 1 ? { [ATTR.eventId]: ids[0] } : {}) };
      const error = status >= 500 ? String(status) : undefined;
      if (span.isRecording() || status < 400) {
        endSpan(span, error, last);
        return;
      }
      // Left out by the sampler, but refused: kept after all, in the same trace.
      const kept = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: { ...attributes, [FORCE_SAMPLE_ATTRIBUTE]: true }, startTime }, parent);
      endSpan(kept, error, last);
      span.end();
    };
    reply.raw.once('finish', end);
    reply.raw.once('close', end);
    const active = trace.setSpan(parent, span).setValue(EVENT_IDS, ids);
    return new Observable((subscriber) => context.with(active, () => next.handle().subscribe(subscriber)));
  }
}
