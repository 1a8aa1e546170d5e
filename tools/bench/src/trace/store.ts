import { JaegerQuery, startJaeger, TRACED_SERVICES, type JaegerHandle, type JaegerTrace } from '@oleada/local';
import type { BenchEnv } from '../stack-run';

/** The sampler of the bench's traced runs: the gateway decides per event, every later hop follows its caller. */
export const BENCH_SAMPLER = 'parentbased_traceidratio';

/** The apps' environment that turns tracing on: `ratio` of events sampled, spans over OTLP/HTTP to `otlpEndpoint`. */
export function tracingEnv(otlpEndpoint: string, ratio: number): Record<string, string> {
  return { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_TRACES_SAMPLER: BENCH_SAMPLER, OTEL_TRACES_SAMPLER_ARG: String(ratio) };
}

/** The apps' environment that keeps tracing off whatever the bench's own environment says (an OTEL_* endpoint in the shell). */
export const TRACING_OFF: Readonly<Record<string, string>> = { OTEL_SDK_DISABLED: 'true' };

/** "1 %", "100 %", "0.5 %": a ratio as the report says it. */
export function ratioText(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))} %`;
}

/** Runs `body` with a fresh, empty Jaeger (in memory) on `port`, stopped afterwards whatever happens. */
export async function withTraceStore<T>(env: BenchEnv, port: number, body: (jaeger: JaegerHandle, query: JaegerQuery) => Promise<T>): Promise<T> {
  env.log(`starting Jaeger (the trace store) on 127.0.0.1:${port}`);
  const jaeger = await startJaeger({ port, dieWithParent: true });
  try {
    return await body(jaeger, new JaegerQuery(jaeger.queryUrl));
  } finally {
    await jaeger.stop();
  }
}

/** What the store holds of a window: traces begun at the gateway in it (at most `limit` fetched), and which apps' spans they have. */
export interface StoredTraces {
  readonly traces: readonly JaegerTrace[];
  /** `limit` was reached: there may be more. */
  readonly capped: boolean;
  readonly services: readonly string[];
}

export async function storedTraces(query: JaegerQuery, fromMs: number, toMs: number, limit: number): Promise<StoredTraces> {
  const traces = await query.tracesBetween(TRACED_SERVICES[0], fromMs, toMs, limit);
  const services = new Set(traces.flatMap((trace) => trace.spans.map((span) => trace.processes[span.processID]?.serviceName).filter((name): name is string => name !== undefined)));
  return { traces, capped: traces.length >= limit, services: TRACED_SERVICES.filter((service) => services.has(service)) };
}

/**
 * The window's traces once the apps exported all they had: each exports in batches on its own
 * timer (and the consumer's spans end last), so the store is asked again until `progress` (e.g. the
 * complete traces) is above 0 and stops growing, at most `attempts` times `intervalMs` apart.
 */
export async function settledTraces(query: JaegerQuery, fromMs: number, toMs: number, limit: number, progress: (stored: StoredTraces) => number, options: { attempts?: number; intervalMs?: number } = {}): Promise<StoredTraces> {
  let stored = await storedTraces(query, fromMs, toMs, limit);
  for (let attempt = 1; attempt < (options.attempts ?? 15); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2000));
    const next = await storedTraces(query, fromMs, toMs, limit);
    const settled = progress(stored) > 0 && progress(next) <= progress(stored);
    stored = next;
    if (settled) break;
  }
  return stored;
}
