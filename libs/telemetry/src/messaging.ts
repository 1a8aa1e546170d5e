import { context, ROOT_CONTEXT, SpanKind, trace, type Link } from '@opentelemetry/api';
import { ATTR } from './attributes';
import { contextFrom, endSpan, EventSpans, isSampled, nowMs } from './spans';
import { activeTracer, headSampled } from './sdk';

/** One record of a consumer batch, as tracing needs it (from its headers). */
export interface ConsumedEvent {
  readonly eventId: string;
  readonly traceparent?: string;
  /** When the gateway accepted it, epoch milliseconds. */
  readonly acceptedAt?: number;
}

/**
 * A consumer batch (`eventsOf` is read only while tracing): when one of its events was sampled (or the head sampler keeps the batch), one span `process <destination>` (no parent: the batch mixes many traces)
 * linked to each sampled event's producer span, made active while `work` runs (so the Valkey call
 * is its child); and for each sampled event a span in the event's own trace (the child of its
 * producer span, linked back to the batch span), ending when `work` settles with the event's
 * freshness. So the event's trace ends where Valkey applied it, and the batch shows every event.
 */
export async function consumeBatch<T>(system: string, destination: string, eventsOf: () => readonly ConsumedEvent[], work: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (!tracer) return work();
  const events = eventsOf();
  const sampled = events.filter((event) => isSampled(event.traceparent));
  // A batch of events all left out is a root the head sampler decides on: most cost nothing more.
  if (sampled.length === 0 && !headSampled(undefined)) return work();
  const links: Link[] = sampled.flatMap((event) => {
    const spanContext = trace.getSpanContext(contextFrom(event.traceparent));
    return spanContext ? [{ context: spanContext }] : [];
  });
  const startTime = nowMs();
  const attributes = {
    [ATTR.messagingSystem]: system,
    [ATTR.messagingDestination]: destination,
    [ATTR.messagingOperationType]: 'process',
    [ATTR.messagingOperationName]: 'process',
  };
  const batch = tracer.startSpan(`process ${destination}`, { kind: SpanKind.CONSUMER, attributes: { ...attributes, [ATTR.messagingBatchCount]: events.length }, links, startTime }, ROOT_CONTEXT);
  const each = EventSpans.start(`process ${destination}`, SpanKind.CONSUMER, sampled, attributes, { links: [{ context: batch.spanContext() }], startTime });
  const finish = (error?: string) => {
    const now = Date.now();
    sampled.forEach((event, i) => each.end(i, error, event.acceptedAt ? { [ATTR.freshness]: (now - event.acceptedAt) / 1000 } : undefined));
    endSpan(batch, error);
  };
  try {
    const result = await context.with(trace.setSpan(ROOT_CONTEXT, batch), work);
    finish();
    return result;
  } catch (error) {
    finish((error as Error).name ?? 'Error');
    throw error;
  }
}
