import { randomBytes } from 'node:crypto';
import { EVENT_ID_TAG, JaegerQuery, tagOf, TRACED_SERVICES, type JaegerTrace } from './jaeger-query';

/** Every hop's spans of one event: the event's own trace and the consumer batch traces that link to it. */
export interface EventTrace {
  readonly trace: JaegerTrace;
  readonly linked: readonly JaegerTrace[];
}

/** The instances (service.instance.id: a pod's name in Kubernetes) that made a span of the event, by service. */
export function hopsOf(found: EventTrace): Map<string, Set<string>> {
  const hops = new Map<string, Set<string>>();
  for (const trace of [found.trace, ...found.linked]) {
    for (const span of trace.spans) {
      const process = trace.processes[span.processID];
      if (!process) continue;
      const instance = process.tags.find((tag) => tag.key === 'service.instance.id')?.value;
      const set = hops.get(process.serviceName) ?? new Set<string>();
      set.add(instance === undefined ? '?' : String(instance));
      hops.set(process.serviceName, set);
    }
  }
  return hops;
}

/** The traced services with no span of the event. */
export function missingHops(found: EventTrace | undefined): string[] {
  const hops = found ? hopsOf(found) : new Map<string, Set<string>>();
  return TRACED_SERVICES.filter((service) => !hops.has(service));
}

/** A fresh, sampled W3C traceparent (version 00, flags 01) and its trace id. */
export function sampledTraceparent(): { traceparent: string; traceId: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/**
 * The event's trace in the store: the trace `traceId` (when the caller started it) or the one whose
 * span carries the event id, with the consumer batch traces linked to it; undefined while not there.
 */
export async function eventTrace(query: JaegerQuery, eventId: string, traceId?: string): Promise<EventTrace | undefined> {
  const trace = traceId ? await query.trace(traceId) : (await query.tracesOfEvent(eventId))[0];
  if (!trace || !trace.spans.some((span) => tagOf(span, EVENT_ID_TAG) === eventId)) return undefined;
  return { trace, linked: await query.linked(trace) };
}

/**
 * Polls the store until the event's trace has every hop's span (spans are exported in batches, the
 * consumer's last), or gives up after `attempts` polls `intervalMs` apart; the last state either way.
 */
export async function awaitEventTrace(
  query: JaegerQuery,
  eventId: string,
  options: { readonly traceId?: string; readonly attempts?: number; readonly intervalMs?: number } = {},
): Promise<{ readonly found?: EventTrace; readonly missing: string[] }> {
  const attempts = options.attempts ?? 60;
  let found: EventTrace | undefined;
  for (let attempt = 1; ; attempt++) {
    found = await eventTrace(query, eventId, options.traceId);
    const missing = missingHops(found);
    if (missing.length === 0 || attempt >= attempts) return { found, missing };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}
