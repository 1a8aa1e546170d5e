import { z } from 'zod';

/** An optional variable; blank (a manifest's `value: ""`) counts as unset. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

/** The samplers OTEL_TRACES_SAMPLER may name (OpenTelemetry's SDK environment specification). */
export const SAMPLER_NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/**
 * The standard OpenTelemetry variables every app reads (libs/telemetry). Tracing is off unless an
 * OTLP endpoint is given, so a plain start (and the bench) pays nothing for it.
 */
export const telemetryEnvShape = {
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.url()).meta({
    description: 'base URL of an OTLP/HTTP receiver (`http://127.0.0.1:4318`; `/v1/traces` is appended); tracing is off without it',
    byDefault: 'unset: tracing off',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(z.url()).meta({ description: 'full URL of the traces endpoint; wins over `OTEL_EXPORTER_OTLP_ENDPOINT`', byDefault: 'unset' }),
  OTEL_SDK_DISABLED: optional(z.enum(['true', 'false'])).meta({ description: '`true` turns tracing off whatever else is set', byDefault: '`false`' }),
  OTEL_TRACES_SAMPLER: optional(z.enum(SAMPLER_NAMES)).meta({
    description: "head sampler (OpenTelemetry's names); a refused or retried event is always kept",
    byDefault: '`parentbased_always_on`',
  }),
  OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0).max(1)).meta({ description: 'ratio of the `*traceidratio` samplers, 0 to 1', byDefault: '`1`' }),
  OTEL_BSP_SCHEDULE_DELAY: optional(z.coerce.number().int().min(1).max(60_000)).meta({
    description: 'milliseconds between two exports of the finished spans (each export is one HTTP request, whatever it carries)',
    byDefault: '`5000` (`npm start -- --tracing`: `1000`)',
  }),
  OTEL_SERVICE_NAME: optional(z.string().min(1)).meta({ description: 'service name on the spans', byDefault: '`oleada-<app>`' }),
};
