export { ATTR, DB_SYSTEM_VALKEY } from './attributes';
export { SAMPLER_NAMES, telemetryConfig, telemetryConfigOrExit, telemetryEnvShape, type SamplerName, type TelemetryConfig } from './config';
export { noteEvents, refusedRequestSpan, TraceRequestInterceptor, TraceRequests } from './http';
export { consumeBatch, type ConsumedEvent } from './messaging';
export { RequestTrace, requestTrace, requestTracingHooks, tracedElsewhere, type RequestTracingHooks } from './request-hooks';
export { TRACEPARENT } from './propagation';
export { EventSampler, FORCE_SAMPLE_ATTRIBUTE, HEAD_SAMPLED, headDecision, headSampler, type HeadDecision } from './sampler';
export { activeTracer, headSampled, startTracing, type Tracing } from './sdk';
export { contextFrom, endSpan, EventSpans, inSpan, isSampled, nowMs, SpanKind, traceparentOf, tracingOn, type EventSpanOptions, type TracedEvent } from './spans';
