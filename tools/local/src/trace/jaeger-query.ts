/** The parts of Jaeger's query API (`/api/traces`) that `npm run trace` and the tests read. */
export interface JaegerTag {
  readonly key: string;
  readonly type: string;
  readonly value: unknown;
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: ReadonlyArray<{ readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM'; readonly traceID: string; readonly spanID: string }>;
  /** Microseconds since the epoch. */
  readonly startTime: number;
  /** Microseconds. */
  readonly duration: number;
  readonly tags: readonly JaegerTag[];
  readonly processID: string;
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { readonly serviceName: string; readonly tags: readonly JaegerTag[] }>>;
}

/** The services every app reports as (libs/telemetry startTracing). */
export const TRACED_SERVICES = ['oleada-gateway', 'oleada-relay', 'oleada-writer', 'oleada-consumer'] as const;

/** The span attribute that names the event (libs/telemetry ATTR.eventId). */
export const EVENT_ID_TAG = 'oleada.event.id';

export function tagOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((tag) => tag.key === key)?.value;
}

export class JaegerQuery {
  constructor(readonly baseUrl: string) {}

  private async fetch(path: string): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new Error(`cannot reach the trace store at ${this.baseUrl} (${cause}): is \`npm start -- --tracing\` running, with this --jaeger-port?`);
    }
  }

  private async get(path: string): Promise<JaegerTrace[]> {
    const response = await this.fetch(path);
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`Jaeger answered ${response.status} to ${path}: ${(await response.text()).slice(0, 200)}`);
    const body = (await response.json()) as { data: JaegerTrace[] | null };
    return body.data ?? [];
  }

  /** Services that reported spans. */
  async services(): Promise<string[]> {
    const response = await this.fetch('/api/services');
    if (!response.ok) throw new Error(`Jaeger answered ${response.status} to /api/services`);
    return ((await response.json()) as { data: string[] | null }).data ?? [];
  }

  trace(traceId: string): Promise<JaegerTrace | undefined> {
    return this.get(`/api/traces/${traceId}`).then((traces) => traces[0]);
  }

  /** Traces with a span tagged with the event's id, searched in each app's service; distinct by trace id. */
  async tracesOfEvent(eventId: string, lookbackHours = 48): Promise<JaegerTrace[]> {
    const tags = encodeURIComponent(JSON.stringify({ [EVENT_ID_TAG]: eventId }));
    const found = new Map<string, JaegerTrace>();
    for (const service of TRACED_SERVICES) {
      const traces = await this.get(`/api/traces?service=${service}&tags=${tags}&lookback=${lookbackHours}h&limit=20`);
      for (const trace of traces) found.set(trace.traceID, trace);
    }
    return [...found.values()];
  }

  /**
   * Traces with a span of `service` that started between `fromMs` and `toMs` (epoch milliseconds),
   * at most `limit` of them (the query API's search; it takes microseconds).
   */
  tracesBetween(service: string, fromMs: number, toMs: number, limit: number): Promise<JaegerTrace[]> {
    const us = (ms: number) => String(Math.round(ms * 1000));
    return this.get(`/api/traces?service=${encodeURIComponent(service)}&start=${us(fromMs)}&end=${us(toMs)}&limit=${limit}`);
  }

  /** The other traces the spans of `trace` link to (a consumer's batch), fetched. */
  async linked(trace: JaegerTrace): Promise<JaegerTrace[]> {
    const ids = new Set(trace.spans.flatMap((span) => span.references.filter((ref) => ref.traceID !== trace.traceID).map((ref) => ref.traceID)));
    const traces = await Promise.all([...ids].map((id) => this.trace(id)));
    return traces.filter((t): t is JaegerTrace => t !== undefined);
  }
}

/** One line per span, in start order, times relative to the first: what `npm run trace` prints. */
export function describeTrace(trace: JaegerTrace, linked: readonly JaegerTrace[] = []): string[] {
  const rows = [...trace.spans.map((span) => ({ span, trace, batch: false })), ...linked.flatMap((t) => t.spans.map((span) => ({ span, trace: t, batch: true })))];
  // Start order; a parent before its child when both start in the same microsecond.
  const depth = (span: JaegerSpan, of: JaegerTrace): number => {
    const parent = span.references.find((ref) => ref.refType === 'CHILD_OF' && ref.traceID === span.traceID);
    const up = parent && of.spans.find((s) => s.spanID === parent.spanID);
    return up ? 1 + depth(up, of) : 0;
  };
  rows.sort((a, b) => a.span.startTime - b.span.startTime || depth(a.span, a.trace) - depth(b.span, b.trace));
  const t0 = rows[0]?.span.startTime ?? 0;
  const ms = (us: number) => (us / 1000).toFixed(1);
  const lines = rows.map(({ span, trace: of, batch }) => {
    const process = of.processes[span.processID];
    const instance = process?.tags.find((tag) => tag.key === 'service.instance.id')?.value;
    const who = `${process?.serviceName ?? '?'}${instance ? ` (${String(instance)})` : ''}`;
    const detail = ['http.response.status_code', 'messaging.system', 'rpc.status_code', 'messaging.destination.name', 'messaging.batch.message_count', 'db.operation.batch.size', 'oleada.attempt', 'error.type', 'oleada.freshness_s']
      .map((key) => [key, tagOf(span, key)] as const)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    return `  +${ms(span.startTime - t0).padStart(8)} ms ${ms(span.duration).padStart(8)} ms  ${who.padEnd(34)} ${(batch ? '[batch] ' : '') + span.operationName}${detail ? `  ${detail}` : ''}`;
  });
  const end = Math.max(...rows.map(({ span }) => span.startTime + span.duration));
  return [`trace ${trace.traceID}: ${trace.spans.length} spans${linked.length > 0 ? `, linked to ${linked.length} consumer batch trace(s)` : ''}; ${ms(end - t0)} ms from the first span's start to the last span's end`, ...lines];
}
