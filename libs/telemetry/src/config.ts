import { z } from 'zod';

/** The samplers OTEL_TRACES_SAMPLER may name (OpenTelemetry's SDK environment specification). */
export const SAMPLER_NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/**
 * The standard OpenTelemetry variables this project reads. Tracing is off unless an OTLP endpoint
 * is given, so a plain start (and the bench) pays nothing for it.
 */
export const telemetryEnvShape = {
  /** Base URL of an OTLP/HTTP receiver (`http://127.0.0.1:4318`); `/v1/traces` is appended. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** Full URL of the traces endpoint; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
  /** @default parentbased_always_on (the specification's default) */
  OTEL_TRACES_SAMPLER: z.enum(SAMPLER_NAMES).optional(),
  /** The ratio of the *traceidratio samplers, 0 to 1. @default 1 */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

/** Blank variables (a manifest's `value: ""`) count as unset. */
const telemetryEnv = z.preprocess(
  (env) => Object.fromEntries(Object.entries(env as Record<string, string | undefined>).filter(([name, value]) => name in telemetryEnvShape && value !== undefined && value.trim() !== '')),
  z.object(telemetryEnvShape),
);

export interface TelemetryConfig {
  /** Whether spans are exported at all. */
  readonly enabled: boolean;
  readonly serviceName: string;
  /** Where spans go (OTLP/HTTP, protobuf). */
  readonly tracesUrl?: string;
  readonly sampler: SamplerName;
  readonly ratio: number;
}

/** Reads the OTEL_* variables; throws naming the variable that is wrong. */
export function telemetryConfig(serviceName: string, env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  const parsed = telemetryEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid tracing configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  const vars = parsed.data;
  const base = vars.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const tracesUrl = vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`);
  return {
    enabled: tracesUrl !== undefined && vars.OTEL_SDK_DISABLED !== 'true',
    serviceName: vars.OTEL_SERVICE_NAME ?? serviceName,
    tracesUrl,
    sampler: vars.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    ratio: vars.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
