import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { ATTR } from './attributes';
import { TRACEPARENT, W3C } from './propagation';
import { FORCE_SAMPLE_ATTRIBUTE } from './sampler';
import { activeTracer } from './sdk';

export { SpanKind };

/** Whether this process exports spans (startTracing found an endpoint). */
export function tracingOn(): boolean {
  return activeTracer() !== undefined;
}

/** Now, in epoch milliseconds with sub-millisecond precision (a span start time). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The `traceparent` to hand on from the span in `ctx` (the active one by default): only a sampled
 * one's. An unsampled event carries no trace context past the hop that left it out, so the later
 * hops (all parent-based) pay nothing for it, not even the string in every message; a hop that
 * forces a span for it (a retry) starts the event's own trace there, named by its event id.
 */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  if (!tracingOn()) return undefined;
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || (spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  const carrier: Record<string, string> = {};
  W3C.inject(ctx, carrier, defaultTextMapSetter);
  return carrier[TRACEPARENT];
}

/** A context whose remote parent is `traceparent` (the root context without a valid one). */
export function contextFrom(traceparent: string | undefined): Context {
  return traceparent ? W3C.extract(ROOT_CONTEXT, { [TRACEPARENT]: traceparent }, defaultTextMapGetter) : ROOT_CONTEXT;
}

/** Whether `traceparent`'s trace was sampled (its flags' sampled bit). */
export function isSampled(traceparent: string | undefined): boolean {
  return traceparent !== undefined && traceparent.length === 55 && (Number.parseInt(traceparent.slice(53), 16) & TraceFlags.SAMPLED) !== 0;
}

/** Ends `span`, as failed when `error` says why (`error.type`), with last attributes. */
export function endSpan(span: Span | undefined, error?: string, attributes?: Attributes): void {
  if (!span) return;
  if (attributes) span.setAttributes(attributes);
  if (error !== undefined) {
    span.setAttribute(ATTR.errorType, error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  }
  span.end();
}

/** One event as a hop sees it: its id and the trace context it arrived with. */
export interface TracedEvent {
  readonly eventId: string;
  readonly traceparent?: string;
}

export interface EventSpanOptions {
  /** Keep these spans whatever was sampled (a retry): FORCE_SAMPLE_ATTRIBUTE. */
  readonly force?: boolean;
  readonly links?: Link[];
  /** @default now */
  readonly startTime?: number;
}

/**
 * One span per event of a batch hop, each the child of the context its event arrived with, so
 * each event keeps one trace through every batching hop. A span is made only for an event whose
 * trace is sampled (or when forced): an unsampled event costs a string check.
 */
export class EventSpans {
  private constructor(
    private readonly events: readonly TracedEvent[],
    private readonly spans: ReadonlyArray<Span | undefined>,
  ) {}

  static start(name: string, kind: SpanKind, events: readonly TracedEvent[], attributes: Attributes, options: EventSpanOptions = {}): EventSpans {
    const tracer = activeTracer();
    if (!tracer) return new EventSpans(events, []);
    const spans = events.map((event) => {
      if (!options.force && !isSampled(event.traceparent)) return undefined;
      const own: Attributes = { ...attributes, [ATTR.eventId]: event.eventId, ...(options.force ? { [FORCE_SAMPLE_ATTRIBUTE]: true } : {}) };
      return tracer.startSpan(name, { kind, attributes: own, links: options.links, startTime: options.startTime }, contextFrom(event.traceparent));
    });
    return new EventSpans(events, spans);
  }

  /** What event `i` hands on: its span's context, else the one it came with if sampled (see traceparentOf). */
  traceparent(i: number): string | undefined {
    const span = this.spans[i];
    if (span) return traceparentOf(trace.setSpan(ROOT_CONTEXT, span));
    const came = this.events[i]?.traceparent;
    return isSampled(came) ? came : undefined;
  }

  /** The span of event `i`, if one was made. */
  span(i: number): Span | undefined {
    return this.spans[i];
  }

  end(i: number, error?: string, attributes?: Attributes): void {
    endSpan(this.spans[i], error, attributes);
  }

  endAll(error?: string, attributes?: Attributes): void {
    for (const span of this.spans) endSpan(span, error, attributes);
  }
}

/**
 * Runs `work` inside a span, the child of the active one, ending it when `work` settles: failed
 * with the error's name when it throws. Without tracing, or without a recorded span to be the
 * child of (a batch nobody sampled), just runs `work`.
 */
export async function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, work: () => Promise<T>, links?: Link[]): Promise<T> {
  const tracer = activeTracer();
  if (!tracer || !trace.getSpan(context.active())?.isRecording()) return work();
  const span = tracer.startSpan(name, { kind, attributes, links });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), work);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, (error as Error).name ?? 'Error');
    throw error;
  }
}
