import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { telemetryConfig, type SamplerName } from './config';
import { EventSampler, FORCE_SAMPLE_ATTRIBUTE, HEAD_SAMPLED, headDecision, headSampler } from './sampler';
import { instanceId } from './sdk';
import { contextFrom, EventSpans, isSampled, traceparentOf, tracingOn } from './spans';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SAMPLED = `00-${TRACE}-00f067aa0ba902b7-01`;
const UNSAMPLED = `00-${TRACE}-00f067aa0ba902b7-00`;

describe('tracing configuration (OTEL_* variables)', () => {
  it('is off without an OTLP endpoint, and with OTEL_SDK_DISABLED', () => {
    assert.equal(telemetryConfig('oleada-gateway', {}).enabled, false);
    assert.equal(telemetryConfig('oleada-gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: '' }).enabled, false, 'a blank variable is unset');
    assert.equal(telemetryConfig('oleada-gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).enabled, false);
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint itself; the specification default sampler', () => {
    const config = telemetryConfig('oleada-relay', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' });
    assert.deepEqual(config, { enabled: true, serviceName: 'oleada-relay', tracesUrl: 'http://127.0.0.1:4318/v1/traces', sampler: 'parentbased_always_on', ratio: 1, exportDelayMs: 5000 });
    const own = telemetryConfig('oleada-relay', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces', OTEL_SERVICE_NAME: 'relay-x' });
    assert.equal(own.tracesUrl, 'http://b:4318/traces');
    assert.equal(own.serviceName, 'relay-x');
  });

  it('reads the sampler and its ratio, and refuses bad values naming the variable', () => {
    const config = telemetryConfig('oleada-writer', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' });
    assert.equal(config.sampler, 'parentbased_traceidratio');
    assert.equal(config.ratio, 0.01);
    assert.throws(() => telemetryConfig('x', { OTEL_TRACES_SAMPLER: 'sometimes' }), /OTEL_TRACES_SAMPLER/);
    assert.throws(() => telemetryConfig('x', { OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG/);
    assert.throws(() => telemetryConfig('x', { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe('the instance a span names (service.instance.id)', () => {
  it("is the pod's name in Kubernetes (not the Deployment's SERVICE_NAME), the process's SERVICE_NAME elsewhere", () => {
    assert.equal(instanceId({ KUBERNETES_SERVICE_HOST: '10.96.0.1', HOSTNAME: 'gateway-5d8f9c7b6-x2x4q', SERVICE_NAME: 'gateway' }), 'gateway-5d8f9c7b6-x2x4q');
    assert.equal(instanceId({ HOSTNAME: 'laptop', SERVICE_NAME: 'writer-2a' }), 'writer-2a');
    assert.equal(instanceId({ HOSTNAME: 'laptop' }), 'laptop');
    assert.equal(instanceId({}), String(process.pid));
  });
});

describe('sampling', () => {
  const decide = (sampler: EventSampler, parent: string | undefined, attributes = {}, links: string[] = []) =>
    sampler.shouldSample(
      contextFrom(parent),
      TRACE,
      'span',
      SpanKind.SERVER,
      attributes,
      links.map((l) => ({ context: trace.getSpanContext(contextFrom(l))! })),
    ).decision;
  const none = new EventSampler(headSampler({ sampler: 'parentbased_traceidratio', ratio: 0 }));

  it('follows the parent, and the ratio for a root', () => {
    assert.equal(decide(none, undefined), SamplingDecision.NOT_RECORD);
    assert.equal(decide(none, SAMPLED), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide(none, UNSAMPLED), SamplingDecision.NOT_RECORD);
    const all = new EventSampler(headSampler({ sampler: 'parentbased_traceidratio', ratio: 1 }));
    assert.equal(decide(all, undefined), SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('always keeps a refused or retried event (forced), and a batch linked to a sampled event', () => {
    assert.equal(decide(none, UNSAMPLED, { [FORCE_SAMPLE_ATTRIBUTE]: true }), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide(none, undefined, {}, [UNSAMPLED, SAMPLED]), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide(none, undefined, {}, [UNSAMPLED]), SamplingDecision.NOT_RECORD);
  });

  it('decides before any span exists as the head sampler would (HeadDecision), and a span so decided is kept', () => {
    const parentOf = (traceparent: string) => trace.getSpanContext(contextFrom(traceparent));
    const cases: Array<[SamplerName, number, boolean, boolean, boolean]> = [
      // sampler, ratio, root, sampled parent, unsampled parent
      ['parentbased_traceidratio', 0, false, true, false],
      ['parentbased_traceidratio', 1, true, true, false],
      ['parentbased_always_on', 1, true, true, false],
      ['parentbased_always_off', 1, false, true, false],
      ['traceidratio', 1, true, true, true],
      ['traceidratio', 0, false, false, false],
      ['always_on', 0, true, true, true],
      ['always_off', 1, false, false, false],
    ];
    for (const [sampler, ratio, root, sampled, unsampled] of cases) {
      const decide = headDecision({ sampler, ratio });
      assert.deepEqual([decide(undefined), decide(parentOf(SAMPLED)), decide(parentOf(UNSAMPLED))], [root, sampled, unsampled], `${sampler} ${ratio}`);
    }
    const tenth = headDecision({ sampler: 'parentbased_traceidratio', ratio: 0.1 });
    const kept = Array.from({ length: 20_000 }, () => tenth(undefined)).filter(Boolean).length;
    assert.ok(kept > 1_600 && kept < 2_400, `a tenth of 20,000 roots, give or take: ${kept}`);
    assert.equal(none.shouldSample(ROOT_CONTEXT.setValue(HEAD_SAMPLED, true), TRACE, 'span', SpanKind.SERVER, {}, []).decision, SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('always_off keeps nothing, not even forced spans', () => {
    const off = new EventSampler(headSampler({ sampler: 'always_off', ratio: 1 }), true);
    assert.equal(decide(off, SAMPLED, { [FORCE_SAMPLE_ATTRIBUTE]: true }), SamplingDecision.NOT_RECORD);
  });
});

describe('trace context helpers', () => {
  it("reads a traceparent's sampled flag", () => {
    assert.equal(isSampled(SAMPLED), true);
    assert.equal(isSampled(UNSAMPLED), false);
    assert.equal(isSampled(undefined), false);
    assert.equal(isSampled('garbage'), false);
  });

  it('without tracing: no context to hand on, and an event keeps the traceparent it came with', () => {
    assert.equal(tracingOn(), false);
    assert.equal(traceparentOf(ROOT_CONTEXT), undefined);
    const spans = EventSpans.start('hop', SpanKind.SERVER, [{ eventId: 'e1', traceparent: SAMPLED }, { eventId: 'e2' }], {});
    assert.equal(spans.traceparent(0), SAMPLED);
    assert.equal(spans.traceparent(1), undefined);
    assert.equal(spans.span(0), undefined);
    spans.endAll();
    assert.equal(trace.getSpanContext(contextFrom(SAMPLED))?.traceFlags, TraceFlags.SAMPLED);
  });
});
