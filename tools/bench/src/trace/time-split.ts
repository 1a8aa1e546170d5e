import { EVENT_ID_TAG, tagOf, type JaegerSpan, type JaegerTrace } from '@oleada/local';
import { quantile } from '../ab/stats';

/**
 * Where an event's time goes, from its sampled trace: the spans the apps make for one event
 * (libs/telemetry) form one chain of parents, gateway → relay → relay's WriteBatch call → writer's
 * WriteBatch → the writer's send → the consumer's span for the event (whose end is Valkey having
 * applied it). Six moments on that chain cut the event's time, gateway in → Valkey applied, into
 * the hops below; every moment is a span's own start or end, so no clock but each app's is read.
 */
export const TIME_SPLIT_HOPS = [
  { key: 'gateway', hop: 'gateway request', from: 'the gateway received the request', to: 'the relay received it' },
  { key: 'relay', hop: 'relay batch wait + gRPC', from: 'the relay received it', to: 'a writer received its WriteBatch' },
  { key: 'writer', hop: 'writer RPC + produce', from: 'a writer received its WriteBatch', to: 'the broker acknowledged the send' },
  { key: 'broker', hop: 'in the broker', from: 'the broker acknowledged the send', to: "the consumer's batch began" },
  { key: 'consumer', hop: 'consumer batch → Valkey applied', from: "the consumer's batch began", to: 'Valkey applied it' },
] as const;

export type TimeSplitHop = (typeof TIME_SPLIT_HOPS)[number]['key'];

/** One event's time, hop by hop, in microseconds. */
export interface EventTimeline {
  readonly traceId: string;
  readonly eventId: string;
  /** Per hop of TIME_SPLIT_HOPS, in that order; never negative. */
  readonly hopsUs: readonly number[];
  readonly totalUs: number;
  /**
   * The consumer's batch began before the writer saw the broker's acknowledgement (the record is
   * readable once the broker has it; the writer's callback can run later): the broker's hop is then
   * 0 and the overlap stays with the writer's.
   */
  readonly overlapped: boolean;
}

/** What a chain step must be: the app (service) that made the span and its kind. */
const CHAIN: ReadonlyArray<{ readonly service: string; readonly kind: string }> = [
  { service: 'oleada-consumer', kind: 'consumer' },
  { service: 'oleada-writer', kind: 'producer' },
  { service: 'oleada-writer', kind: 'server' },
  { service: 'oleada-relay', kind: 'client' },
  { service: 'oleada-relay', kind: 'server' },
  { service: 'oleada-gateway', kind: 'server' },
];

function serviceOf(trace: JaegerTrace, span: JaegerSpan): string | undefined {
  return trace.processes[span.processID]?.serviceName;
}

function parentOf(trace: JaegerTrace, span: JaegerSpan, byId: ReadonlyMap<string, JaegerSpan>): JaegerSpan | undefined {
  const ref = span.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === trace.traceID);
  return ref && byId.get(ref.spanID);
}

/**
 * The event's timeline from its trace, or undefined when the trace lacks a step of the chain (a
 * refused event, or spans not exported yet). With several deliveries to the consumer, the first
 * one to finish counts: that is when the event showed in Valkey.
 */
export function eventTimeline(trace: JaegerTrace): EventTimeline | undefined {
  const byId = new Map(trace.spans.map((span) => [span.spanID, span]));
  const isStep = (span: JaegerSpan | undefined, step: number): span is JaegerSpan =>
    span !== undefined && serviceOf(trace, span) === CHAIN[step].service && tagOf(span, 'span.kind') === CHAIN[step].kind;
  const chains = trace.spans
    .filter((span) => isStep(span, 0))
    .map((consumer) => {
      const chain: JaegerSpan[] = [consumer];
      for (let step = 1; step < CHAIN.length; step++) {
        const parent = parentOf(trace, chain[step - 1], byId);
        if (!isStep(parent, step)) return undefined;
        chain.push(parent);
      }
      return chain;
    })
    .filter((chain): chain is JaegerSpan[] => chain !== undefined)
    .sort((a, b) => a[0].startTime + a[0].duration - (b[0].startTime + b[0].duration));
  const chain = chains[0];
  if (!chain) return undefined;
  const [consumer, producer, writer, , relay, gateway] = chain;
  const moments = [gateway.startTime, relay.startTime, writer.startTime, producer.startTime + producer.duration, consumer.startTime, consumer.startTime + consumer.duration];
  // Each moment no earlier than the one before: hops never negative, and they add up to the whole.
  const ordered = moments.map((_, i) => Math.max(...moments.slice(0, i + 1)));
  const hopsUs = ordered.slice(1).map((moment, i) => moment - ordered[i]);
  return {
    traceId: trace.traceID,
    eventId: String(tagOf(consumer, EVENT_ID_TAG) ?? tagOf(gateway, EVENT_ID_TAG) ?? ''),
    hopsUs,
    totalUs: ordered[ordered.length - 1] - ordered[0],
    overlapped: moments[4] < moments[3],
  };
}

export interface HopTime {
  readonly key: TimeSplitHop;
  readonly hop: string;
  readonly from: string;
  readonly to: string;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The hop's part of the events' summed time (the shares add up to 1). */
  readonly share: number;
}

export interface TimeSplit {
  /** Traces looked at, and how many of them had the whole chain (the events measured). */
  readonly traces: number;
  readonly events: number;
  readonly hops: readonly HopTime[];
  readonly total: { readonly meanMs: number; readonly p50Ms: number; readonly p99Ms: number };
  /** Events whose consumer batch began before the writer saw the acknowledgement. */
  readonly overlapped: number;
}

/** The per-hop time of the events whose traces are complete. */
export function timeSplit(traces: readonly JaegerTrace[]): TimeSplit {
  const timelines = traces.map(eventTimeline).filter((t): t is EventTimeline => t !== undefined);
  const ms = (values: readonly number[]) => values.map((us) => us / 1000);
  const mean = (values: readonly number[]) => (values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : Number.NaN);
  const totals = ms(timelines.map((t) => t.totalUs));
  const sumOfTotals = totals.reduce((sum, v) => sum + v, 0);
  return {
    traces: traces.length,
    events: timelines.length,
    hops: TIME_SPLIT_HOPS.map((hop, i) => {
      const values = ms(timelines.map((t) => t.hopsUs[i]));
      return { ...hop, meanMs: mean(values), p50Ms: quantile(values, 0.5), p99Ms: quantile(values, 0.99), share: sumOfTotals > 0 ? values.reduce((sum, v) => sum + v, 0) / sumOfTotals : Number.NaN };
    }),
    total: { meanMs: mean(totals), p50Ms: quantile(totals, 0.5), p99Ms: quantile(totals, 0.99) },
    overlapped: timelines.filter((t) => t.overlapped).length,
  };
}
