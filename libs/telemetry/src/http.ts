import { HttpException, Injectable, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { context, createContextKey, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { ATTR } from './attributes';
import { W3C } from './propagation';
import { HEAD_SAMPLED } from './sampler';
import { activeTracer, headSampled } from './sdk';
import { keepRefused, nameEvents, requestAttributes, spanName, tracedElsewhere } from './request-hooks';
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
  if (span) nameEvents(span, ids);
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
  tracedElsewhere(request);
  const parent = W3C.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
  const span = tracer.startSpan(spanName(request), { kind: SpanKind.SERVER, attributes: requestAttributes(request) }, parent);
  endSpan(span, status >= 500 ? errorKind : undefined, { [ATTR.httpStatus]: status, [ATTR.errorType]: errorKind });
}

/**
 * A SERVER span per request as a Nest interceptor (the relay's one-event route; the gateway's routes
 * use requestTracingHooks, which cost a left-out request less), the child of the caller's
 * `traceparent` if it sent one, active while pipes and handler run, ended when the answer is sent
 * with its status. A request the head sampler leaves out costs its decision only (headSampled: no
 * span, ids or attributes, no listeners, no active context, nothing handed on); if it is refused or fails (an exception with
 * status 400 and up) it still gets its span, marked FORCE_SAMPLE_ATTRIBUTE and naming the event the
 * answer names: "why was this event refused?" always has an answer.
 */
@Injectable()
export class TraceRequestInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const tracer = activeTracer();
    if (!tracer || execution.getType() !== 'http') return next.handle();
    const request = execution.switchToHttp().getRequest<FastifyRequest>();
    const parent = W3C.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const startTime = nowMs();
    if (!headSampled(trace.getSpanContext(parent))) return next.handle().pipe(tap({ error: (error: unknown) => keepRefused(tracer, request, parent, startTime, statusOf(error), eventIdOf(error)) }));
    const span = tracer.startSpan(spanName(request), { kind: SpanKind.SERVER, attributes: requestAttributes(request), startTime }, parent.setValue(HEAD_SAMPLED, true));
    const reply = execution.switchToHttp().getResponse<FastifyReply>();
    const ids: string[] = [];
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const status = reply.statusCode;
      endSpan(span, status >= 500 ? String(status) : undefined, { [ATTR.httpStatus]: status, ...(ids.length === 1 ? { [ATTR.eventId]: ids[0] } : {}) });
    };
    reply.raw.once('finish', end);
    reply.raw.once('close', end);
    const active = trace.setSpan(parent, span).setValue(EVENT_IDS, ids);
    return new Observable((subscriber) => context.with(active, () => next.handle().subscribe(subscriber)));
  }
}

/** The status an error becomes (an HttpException's own, else 500). */
function statusOf(error: unknown): number {
  return error instanceof HttpException ? error.getStatus() : 500;
}

/** The event id an error's answer names (`id`), if any. */
function eventIdOf(error: unknown): string | undefined {
  const answer = error instanceof HttpException ? error.getResponse() : undefined;
  return typeof answer === 'object' && answer !== null && typeof (answer as { id?: unknown }).id === 'string' ? (answer as { id: string }).id : undefined;
}

/**
 * TraceRequestInterceptor on a controller or a route when this process traces, nothing otherwise:
 * any interceptor costs every request Nest's interceptor chain (an AsyncResource bind and an
 * Observable), tracing or not. Decided where the decorator is evaluated, so it goes on controllers
 * made after startTracing: the hop modules make theirs once the app module is built (main.ts
 * starts tracing first; the tracing e2e fails if a request span goes missing).
 */
export function TraceRequests(): ClassDecorator & MethodDecorator {
  return activeTracer() ? UseInterceptors(TraceRequestInterceptor) : () => undefined;
}
