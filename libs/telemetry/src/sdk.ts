import { context, propagation, trace, type SpanContext, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { telemetryConfigOrExit, type TelemetryConfig } from './config';
import { EventSampler, headDecision, headSampler, type HeadDecision } from './sampler';
import { W3C } from './propagation';

/** Spans kept per consumer batch span: one link per sampled event of the batch. */
const MAX_LINKS = 2048;

let tracer: Tracer | undefined;
let decideHead: HeadDecision = () => false;

/**
 * `service.instance.id`: in a Kubernetes pod its name (the kubelet sets HOSTNAME to it), so a span
 * names the replica that made it; elsewhere SERVICE_NAME (writer-1, writer-2a, … of `npm start`),
 * else the host name or the pid.
 */
export function instanceId(env: NodeJS.ProcessEnv): string {
  if (env.KUBERNETES_SERVICE_HOST && env.HOSTNAME) return env.HOSTNAME;
  return env.SERVICE_NAME ?? env.HOSTNAME ?? String(process.pid);
}

/** The head sampler's decision for a span whose parent is `parent` (undefined: a root), before making it; false while tracing is off. */
export function headSampled(parent: SpanContext | undefined): boolean {
  return decideHead(parent);
}

/** The tracer of this process, or undefined while tracing is off (every helper then does nothing). */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

export interface Tracing {
  readonly config: TelemetryConfig;
  /** Exports what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for this process from the OTEL_* variables (telemetryConfig): spans go over
 * OTLP/HTTP to the configured endpoint in batches, W3C trace context is the propagation format,
 * and the context follows async calls (AsyncLocalStorage). Without an endpoint nothing is set up.
 * Call first in main.ts; a bad OTEL_* variable stops the process (status 78) naming it. On
 * SIGTERM/SIGINT what is buffered is exported at once.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  const config = telemetryConfigOrExit(serviceName, env);
  if (!config.enabled) return { config, shutdown: () => Promise.resolve() };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, 'service.instance.id': instanceId(env) }),
    sampler: new EventSampler(headSampler(config), config.sampler === 'always_off'),
    spanLimits: { linkCountLimit: MAX_LINKS },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: config.tracesUrl }),
        scheduledDelayMillis: config.exportDelayMs,
        maxQueueSize: 16_384,
        maxExportBatchSize: 2048,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(W3C);
  tracer = trace.getTracer('oleada');
  decideHead = headDecision(config);
  const flush = () => void provider.forceFlush().catch(() => undefined);
  process.once('SIGTERM', flush);
  process.once('SIGINT', flush);
  return { config, shutdown: () => provider.shutdown() };
}
