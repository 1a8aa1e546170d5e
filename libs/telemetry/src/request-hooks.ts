import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ATTR } from './attributes';
import { W3C } from './propagation';
import { FORCE_SAMPLE_ATTRIBUTE, HEAD_SAMPLED } from './sampler';
import { activeTracer, headSampled } from './sdk';
import { endSpan, nowMs, traceparentOf } from './spans';

const REQUEST_TRACE = Symbol('oleada.requestTrace');
const TRACED_ELSEWHERE = Symbol('oleada.tracedElsewhere');
type TracedRequest = FastifyRequest & { [REQUEST_TRACE]?: RequestTrace; [TRACED_ELSEWHERE]?: true };

/**
 * One request as tracing follows it from its route's onRequest hook to its onResponse (see
 * requestTracingHooks): its span when the head sampler kept it, and the events it carried (the
 * handler notes them). The handler reads it from the request (requestTrace) and hands its
 * `traceparent` on with the events: no active context, no Nest interceptor.
 */
export class RequestTrace {
  private readonly ids: string[] = [];

  constructor(readonly span: Span | undefined) {}

  /** The context to hand on with the request's events: its span's, when sampled. */
  get traceparent(): string | undefined {
    return this.span && traceparentOf(trace.setSpan(ROOT_CONTEXT, this.span));
  }

  /** Names the events the request carries (`oleada.event.id` for one, `oleada.event.ids` for several): what `npm run trace` finds it by. */
  noteEvents(ids: readonly string[]): void {
    this.ids.push(...ids);
    if (this.span) nameEvents(this.span, ids);
  }

  /** The one event of a single-event request, for the span of a refusal. */
  get onlyEvent(): string | undefined {
    return this.ids.length === 1 ? this.ids[0] : undefined;
  }
}

/** The request's RequestTrace (undefined while tracing is off, or on a route without the hooks). */
export function requestTrace(request: FastifyRequest): RequestTrace | undefined {
  return (request as TracedRequest)[REQUEST_TRACE];
}

/** Marks a request whose span was made elsewhere (the gateway's admission refusals): the hooks leave it alone. */
export function tracedElsewhere(request: FastifyRequest): void {
  (request as TracedRequest)[TRACED_ELSEWHERE] = true;
}

/** `POST /api/v1/blackfriday/events`: the method and the route's pattern (HTTP semantic conventions). */
export function spanName(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url}`;
}

export function requestAttributes(request: FastifyRequest): Attributes {
  return { [ATTR.httpMethod]: request.method, [ATTR.httpRoute]: request.routeOptions.url ?? request.url, [ATTR.urlPath]: request.url.split('?')[0] };
}

/** A route's tracing hooks (Fastify's callback style), to add to its own. */
export interface RequestTracingHooks {
  onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  onResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  onRequestAbort(request: FastifyRequest, done: HookHandlerDoneFunction): void;
}

/**
 * A SERVER span per request of the routes these hooks are added to, as Fastify hooks rather than a
 * Nest interceptor: onRequest asks the head sampler first (headSampled) and, only when it keeps the
 * request, starts the span (the child of the caller's `traceparent`); onResponse ends it with the
 * status. A request left out costs the decision and a small object. One that then fails (status 400
 * and up) still gets its span, marked FORCE_SAMPLE_ATTRIBUTE, in the caller's trace if it sent one,
 * naming its event when it carried one: "why was this event refused?" always has an answer.
 * Undefined while tracing is off: no hooks at all.
 */
export function requestTracingHooks(): RequestTracingHooks | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  return {
    onRequest(request, _reply, done) {
      const parent = W3C.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
      const span = headSampled(trace.getSpanContext(parent))
        ? tracer.startSpan(spanName(request), { kind: SpanKind.SERVER, attributes: requestAttributes(request), startTime: nowMs() }, parent.setValue(HEAD_SAMPLED, true))
        : undefined;
      (request as TracedRequest)[REQUEST_TRACE] = new RequestTrace(span);
      done();
    },
    onResponse(request, reply, done) {
      finish(tracer, request as TracedRequest, reply.statusCode, reply.elapsedTime);
      done();
    },
    onRequestAbort(request, done) {
      const span = (request as TracedRequest)[REQUEST_TRACE]?.span;
      endSpan(span, 'aborted');
      done();
    },
  };
}

function finish(tracer: Tracer, request: TracedRequest, status: number, elapsedMs: number): void {
  const traced = request[REQUEST_TRACE];
  if (!traced || request[TRACED_ELSEWHERE]) return;
  if (traced.span) {
    endSpan(traced.span, status >= 500 ? String(status) : undefined, { [ATTR.httpStatus]: status });
    return;
  }
  // A left-out request that succeeded (almost every one) keeps nothing: no parent to read, no clock.
  if (status < 400) return;
  keepRefused(tracer, request, W3C.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter), nowMs() - elapsedMs, status, traced.onlyEvent);
}

/** Names the events a request carries on its span (`oleada.event.id` for one, `oleada.event.ids` for several). */
export function nameEvents(span: Span, ids: readonly string[]): void {
  if (ids.length === 1) span.setAttribute(ATTR.eventId, ids[0]);
  else span.setAttribute(ATTR.eventIds, [...ids]);
}

/**
 * The span of a request the sampler left out but that failed with `status` 400 and up: kept after
 * all (FORCE_SAMPLE_ATTRIBUTE), in the caller's trace (`parent`) if it sent one, naming its event
 * when known. A status under 400 keeps nothing.
 */
export function keepRefused(tracer: Tracer, request: FastifyRequest, parent: Context, startTime: number, status: number, eventId: string | undefined): void {
  if (status < 400) return;
  const attributes: Attributes = { ...requestAttributes(request), [FORCE_SAMPLE_ATTRIBUTE]: true, ...(eventId ? { [ATTR.eventId]: eventId } : {}) };
  const kept = tracer.startSpan(spanName(request), { kind: SpanKind.SERVER, attributes, startTime }, parent);
  endSpan(kept, status >= 500 ? String(status) : undefined, { [ATTR.httpStatus]: status });
}
