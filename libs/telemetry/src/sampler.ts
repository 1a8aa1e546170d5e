import { TraceFlags, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './config';

/**
 * Set (true) on a span that must be kept whatever the head sampler decided: an event that was
 * refused or retried. Its downstream spans follow it (parent-based), so the rest of its path is
 * kept too.
 */
export const FORCE_SAMPLE_ATTRIBUTE = 'oleada.sampling.forced';

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

/**
 * The head sampler, plus two rules of this project: a span marked FORCE_SAMPLE_ATTRIBUTE is kept
 * (refused or retried events), and a batch span is kept when any event it links to was sampled (a
 * consumer batch has links, not a parent). `always_off` keeps nothing at all.
 */
export class EventSampler implements Sampler {
  constructor(
    private readonly head: Sampler,
    private readonly off = false,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (!this.off) {
      if (attributes[FORCE_SAMPLE_ATTRIBUTE] === true) return SAMPLED;
      if (links.some((link) => (link.context.traceFlags & TraceFlags.SAMPLED) !== 0)) return SAMPLED;
    }
    return this.head.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `EventSampler{${this.head.toString()}}`;
  }
}
