import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import { consumeBatch } from './messaging';
import { requestTrace, requestTracingHooks } from './request-hooks';
import { headSampled, startTracing, type Tracing } from './sdk';
import { contextFrom, EventSpans, inSpan, isSampled, traceparentOf, tracingOn } from './spans';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SAMPLED = `00-${TRACE}-00f067aa0ba902b7-01`;
const UNSAMPLED = `00-${TRACE}-00f067aa0ba902b7-00`;

// Tracing on in this process (its own file: node --test runs each in its own process), with a head
// sampler that keeps nothing by itself, exporting to a local endpoint that takes everything.
let tracing: Tracing | undefined;
let collector: Server | undefined;
before(async () => {
  collector = createServer((request, response) => request.resume().on('end', () => response.writeHead(200).end()));
  await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  tracing = startTracing('oleada-spec', {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0',
  });
});
after(async () => {
  await tracing?.shutdown();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('what a hop hands on with tracing on', () => {
  it('a sampled context is handed on; an unsampled one is not (the next hops pay nothing for it)', () => {
    assert.equal(tracingOn(), true);
    assert.equal(traceparentOf(contextFrom(SAMPLED)), SAMPLED);
    assert.equal(traceparentOf(contextFrom(UNSAMPLED)), undefined);
    assert.equal(traceparentOf(ROOT_CONTEXT), undefined);
    const root = trace.getTracer('spec').startSpan('root, left out by the ratio 0');
    assert.equal(root.isRecording(), false);
    assert.equal(traceparentOf(trace.setSpan(ROOT_CONTEXT, root)), undefined);
  });

  it("asks the head sampler's decision before any span: a root is left out at ratio 0, a sampled parent followed", () => {
    assert.equal(headSampled(undefined), false);
    assert.equal(headSampled(trace.getSpanContext(contextFrom(SAMPLED))), true);
    assert.equal(headSampled(trace.getSpanContext(contextFrom(UNSAMPLED))), false);
  });

  it('per event: a span and its own context for a sampled event, nothing for the others', () => {
    const spans = EventSpans.start('hop', SpanKind.SERVER, [{ eventId: 'e1', traceparent: SAMPLED }, { eventId: 'e2', traceparent: UNSAMPLED }, { eventId: 'e3' }], {});
    const handed = spans.traceparent(0);
    assert.ok(handed && isSampled(handed), `a sampled context: ${handed}`);
    assert.equal(handed.slice(3, 35), TRACE, "in the event's trace");
    assert.notEqual(handed, SAMPLED, "the hop's own span is the next parent");
    assert.equal(spans.span(1), undefined);
    assert.equal(spans.traceparent(1), undefined, 'an unsampled context is not handed on');
    assert.equal(spans.traceparent(2), undefined);
    spans.endAll();
  });

  it("a forced span (a retry) of an event that came without context starts the event's own sampled trace", () => {
    const forced = EventSpans.start('retry', SpanKind.CLIENT, [{ eventId: 'e3' }], {}, { force: true });
    const handed = forced.traceparent(0);
    assert.ok(handed && isSampled(handed), `kept and handed on: ${handed}`);
    assert.equal(forced.span(0)?.isRecording(), true);
    forced.endAll();
  });

  it('a consumer batch none of whose events was sampled costs no span, not even for its Valkey call', async () => {
    const active = () => trace.getSpan(context.active());
    const unsampled = await consumeBatch('kafka', 'blackfriday.sales', () => [{ eventId: 'e1', traceparent: UNSAMPLED }, { eventId: 'e2' }], () =>
      inSpan('FCALL', SpanKind.CLIENT, {}, async () => active()),
    );
    assert.equal(unsampled, undefined, 'no span was active around the work');
    // isRecording() is read inside the work: an ended span no longer records.
    const sampled = await consumeBatch('kafka', 'blackfriday.sales', () => [{ eventId: 'e1', traceparent: SAMPLED }, { eventId: 'e2' }], async () => {
      const batch = active();
      const call = await inSpan('FCALL', SpanKind.CLIENT, {}, async () => ({ span: active(), recording: active()?.isRecording() }));
      return { batch, recording: batch?.isRecording(), call };
    });
    assert.equal(sampled.recording, true, 'the batch span of a sampled event is recorded');
    assert.equal(sampled.call.recording, true, 'and the Valkey call under it');
    assert.notEqual(sampled.call.span, sampled.batch);
    assert.equal(sampled.call.span?.spanContext().traceId, sampled.batch?.spanContext().traceId, 'the call is in the batch trace');
  });

  it("a route's tracing hooks: a span only for a request the head sampler keeps, and its context handed on", async () => {
    const hooks = requestTracingHooks();
    assert.ok(hooks, 'hooks while tracing');
    const app = Fastify();
    const seen: Array<{ recording: boolean | undefined; handedOn: string | undefined }> = [];
    app.post('/events', { onRequest: hooks.onRequest, onResponse: hooks.onResponse }, async (request, reply) => {
      const traced = requestTrace(request);
      traced?.noteEvents(['e1']);
      seen.push({ recording: traced?.span?.isRecording(), handedOn: traced?.traceparent });
      return reply.code(202).send({ id: 'e1' });
    });
    try {
      const sampled = await app.inject({ method: 'POST', url: '/events', headers: { traceparent: SAMPLED }, payload: {} });
      const plain = await app.inject({ method: 'POST', url: '/events', payload: {} });
      const unsampled = await app.inject({ method: 'POST', url: '/events', headers: { traceparent: UNSAMPLED }, payload: {} });
      assert.deepEqual([sampled.statusCode, plain.statusCode, unsampled.statusCode], [202, 202, 202]);
      assert.equal(seen[0].recording, true, "a sampled caller's request has its span");
      assert.ok(seen[0].handedOn && isSampled(seen[0].handedOn) && seen[0].handedOn.slice(3, 35) === TRACE, `handed on in the caller's trace: ${seen[0].handedOn}`);
      assert.deepEqual(seen.slice(1), [
        { recording: undefined, handedOn: undefined },
        { recording: undefined, handedOn: undefined },
      ], 'a root left out at ratio 0, and an unsampled caller, cost no span and hand nothing on');
    } finally {
      await app.close();
    }
  });
});

