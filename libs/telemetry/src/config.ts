import { loadConfig, loadConfigOrExit, SAMPLER_NAMES, telemetryEnvShape, type SamplerName } from '@oleada/shared';
import type { z } from 'zod';

export { SAMPLER_NAMES, telemetryEnvShape, type SamplerName };

export interface TelemetryConfig {
  /** Whether spans are exported at all. */
  readonly enabled: boolean;
  readonly serviceName: string;
  /** Where spans go (OTLP/HTTP, protobuf). */
  readonly tracesUrl?: string;
  readonly sampler: SamplerName;
  readonly ratio: number;
  /** Milliseconds between two exports of finished spans. */
  readonly exportDelayMs: number;
}

/** OpenTelemetry's default export delay: at 1 % sampling an export every 500 ms cost the apps more in requests than in spans. */
const EXPORT_DELAY_MS = 5000;

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
    exportDelayMs: vars.OTEL_BSP_SCHEDULE_DELAY ?? EXPORT_DELAY_MS,
  };
}
