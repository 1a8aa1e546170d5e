import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The W3C header (and gRPC metadata key, and broker message header) that carries a trace context. */
export const TRACEPARENT = 'traceparent';

/** W3C trace context, the one format every hop speaks (used directly: it needs no global set-up). */
export const W3C = new W3CTraceContextPropagator();
