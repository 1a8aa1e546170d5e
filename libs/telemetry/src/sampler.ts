import { createContextKey, TraceFlags, type Attributes, type Context, type Link, type SpanContext, type SpanKind } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './config';

/**
 * Set (true) on a span that must be kept whatever the head sampler decided: an event that was
 * refused or retried. Its downstream spans follow it (parent-based), so the rest of its path is
 * kept too.
 */
export const FORCE_SAMPLE_ATTRIBUTE = 'oleada.sampling.forced';

/**
 * Set in the parent context a span is started with when the hop already made the head sampler's
 * decision for it (HeadDecision): the span is kept without deciding again.
 */
export const HEAD_SAMPLED = createContextKey('oleada.sampling.head');

const SAMPLED: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };

/** OTEL_TRACES_SAMPLER as a sampler. */
export function headSampler(config: Pick<TelemetryConfig, 'sampler' | 'ratio'>): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
  }
}

/** Whether a span with this parent (undefined: a root) is sampled, decided before any span exists. */
export type HeadDecision = (parent: SpanContext | undefined) => boolean;

/**
 * OTEL_TRACES_SAMPLER's decision without making a span: what a busy entry point asks first, so a
 * request left out costs no span, no ids and no attributes. The ratio samplers draw a random
 * number for a root instead of reading the bits of a trace id not yet made: the same ratio, and
 * every later hop follows its parent.
 */
export function headDecision(config: Pick<TelemetryConfig, 'sampler' | 'ratio'>): HeadDecision {
  const sampled = (parent: SpanContext) => (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
  const byRatio = () => config.ratio >= 1 || (config.ratio > 0 && Math.random() < config.ratio);
  switch (config.sampler) {
    case 'always_on':
      return () => true;
    case 'always_off':
      return () => false;
    case 'traceidratio':
      return byRatio;
    case 'parentbased_always_on':
      return (parent) => (parent ? sampled(parent) : true);
    case 'parentbased_always_off':
      return (parent) => (parent ? sampled(parent) : false);
    case 'parentbased_traceidratio':
      return (parent) => (parent ? sampled(parent) : byRatio());
  }
}

/**
 * The head sampler, plus three rules of this project: a span marked FORCE_SAMPLE_ATTRIBUTE is kept
 * (refused or retried events), so is one whose hop decided already (HEAD_SAMPLED), and a batch span is kept when any event it links to was sampled (a
 * consumer batch has links, not a parent). `always_off` keeps nothing at all.
 */
export class EventSampler implements Sampler {
  constructor(
    private readonly head: Sampler,
    private readonly off = false,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (!this.off) {
      if (attributes[FORCE_SAMPLE_ATTRIBUTE] === true || context.getValue(HEAD_SAMPLED) === true) return SAMPLED;
      if (links.some((link) => (link.context.traceFlags & TraceFlags.SAMPLED) !== 0)) return SAMPLED;
    }
    return this.head.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `EventSampler{${this.head.toString()}}`;
  }
}
