import { loadConfig, loadConfigOrExit } from '@oleada/shared';
import { z } from 'zod';

/** An optional variable; blank (a manifest's `value: ""`) counts as unset. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

/** The samplers OTEL_TRACES_SAMPLER may name (OpenTelemetry's SDK environment specification). */
export const SAMPLER_NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/**
 * The standard OpenTelemetry variables this project reads. Tracing is off unless an OTLP endpoint
 * is given, so a plain start (and the bench) pays nothing for it.
 */
export const telemetryEnvShape = {
  /** Base URL of an OTLP/HTTP receiver (`http://127.0.0.1:4318`); `/v1/traces` is appended. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.url()),
  /** Full URL of the traces endpoint; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(z.url()),
  OTEL_SDK_DISABLED: optional(z.enum(['true', 'false'])),
  /** @default parentbased_always_on (the specification's default) */
  OTEL_TRACES_SAMPLER: optional(z.enum(SAMPLER_NAMES)),
  /** The ratio of the *traceidratio samplers, 0 to 1. @default 1 */
  OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0).max(1)),
  OTEL_SERVICE_NAME: optional(z.string().min(1)),
};

export interface TelemetryConfig {
  /** Whether spans are exported at all. */
  readonly enabled: boolean;
  readonly serviceName: string;
  /** Where spans go (OTLP/HTTP, protobuf). */
  readonly tracesUrl?: string;
  readonly sampler: SamplerName;
  readonly ratio: number;
}

/** Reads the OTEL_* variables; throws a ConfigError naming each bad one. */
export function telemetryConfig(serviceName: string, source: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  return toConfig(serviceName, loadConfig(telemetryEnvShape, source));
}

/** Reads the OTEL_* variables, or stops the process (status 78) naming each bad one, as the apps' own configuration does. */
export function telemetryConfigOrExit(serviceName: string, source: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  return toConfig(serviceName, loadConfigOrExit(serviceName, telemetryEnvShape, source));
}

function toConfig(serviceName: string, vars: z.infer<z.ZodObject<typeof telemetryEnvShape>>): TelemetryConfig {
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
