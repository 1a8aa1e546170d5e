import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startJaeger, type JaegerHandle } from '../infra';
import { testPortOffset } from '../testing';
import { awaitEventTrace, hopsOf, sampledTraceparent } from './event-trace';
import { EVENT_ID_TAG, JaegerQuery } from './jaeger-query';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

interface SpanSpec {
  readonly service: string;
  readonly instance: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly eventId?: string;
  readonly link?: { readonly traceId: string; readonly spanId: string };
}

/** Sends spans to the store's OTLP/HTTP receiver as OTLP/JSON, one resource per span (its service and instance). */
async function export_(jaeger: JaegerHandle, spans: readonly SpanSpec[]): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = {
    resourceSpans: spans.map((s, i) => ({
      resource: { attributes: [str('service.name', s.service), str('service.instance.id', s.instance)] },
      scopeSpans: [
        {
          scope: { name: 'oleada' },
          spans: [
            {
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId && { parentSpanId: s.parentSpanId }),
              name: `${s.service} hop`,
              kind: 2,
              startTimeUnixNano: String(now + BigInt(i) * 1000n),
              endTimeUnixNano: String(now + BigInt(i) * 1000n + 500n),
              attributes: s.eventId ? [str(EVENT_ID_TAG, s.eventId)] : [],
              ...(s.link && { links: [{ traceId: s.link.traceId, spanId: s.link.spanId }] }),
            },
          ],
        },
      ],
    })),
  };
  const response = await fetch(`${jaeger.otlpEndpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

/**
 * The event's trace as the apps export it (libs/telemetry): gateway → relay → writer → the consumer's
 * span for the event, parented; the consumer's batch span in a trace of its own, linked both ways.
 */
function eventSpans(eventId: string, traceId: string, services: readonly string[]): SpanSpec[] {
  const ids = { gateway: hex(8), relay: hex(8), writer: hex(8), consumer: hex(8), batch: hex(8), batchTrace: hex(16) };
  const consumer = 'consumer-kafka-0-ddddd';
  const all: SpanSpec[] = [
    { service: 'oleada-gateway', instance: 'gateway-7c9d-aaaaa', traceId, spanId: ids.gateway, eventId },
    { service: 'oleada-relay', instance: 'relay-5f6b-bbbbb', traceId, spanId: ids.relay, parentSpanId: ids.gateway, eventId },
    { service: 'oleada-writer', instance: 'writer-1-6d8c-ccccc', traceId, spanId: ids.writer, parentSpanId: ids.relay, eventId },
    { service: 'oleada-consumer', instance: consumer, traceId, spanId: ids.consumer, parentSpanId: ids.writer, eventId, link: { traceId: ids.batchTrace, spanId: ids.batch } },
    { service: 'oleada-consumer', instance: consumer, traceId: ids.batchTrace, spanId: ids.batch, link: { traceId, spanId: ids.writer } },
  ];
  return all.filter((s) => services.includes(s.service));
}

describe("finding an event's trace and its hops in a real Jaeger (test:k8s's tracing step)", () => {
  let jaeger: JaegerHandle;
  let query: JaegerQuery;

  before(async () => {
    jaeger = await startJaeger({ port: testPortOffset(20820) });
    query = new JaegerQuery(jaeger.queryUrl);
  });

  after(async () => {
    await jaeger?.stop();
  });

  it('a sampled traceparent: version 00, a fresh trace id, flags 01', () => {
    const { traceId, traceparent } = sampledTraceparent();
    assert.match(traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.notEqual(sampledTraceparent().traceId, traceId);
  });

  it('every hop, the consumer through its batch trace, with the instances that made them', async () => {
    const eventId = randomUUID();
    const traceId = hex(16);
    await export_(jaeger, eventSpans(eventId, traceId, ['oleada-gateway', 'oleada-relay', 'oleada-writer', 'oleada-consumer']));
    const { found, missing } = await awaitEventTrace(query, eventId, { traceId, attempts: 30, intervalMs: 500 });
    assert.deepEqual(missing, []);
    assert.ok(found);
    assert.equal(found.linked.length, 1, "the consumer's batch trace, through the link of its span for the event");
    assert.deepEqual(
      Object.fromEntries([...hopsOf(found)].map(([service, instances]) => [service, [...instances]])),
      { 'oleada-gateway': ['gateway-7c9d-aaaaa'], 'oleada-relay': ['relay-5f6b-bbbbb'], 'oleada-writer': ['writer-1-6d8c-ccccc'], 'oleada-consumer': ['consumer-kafka-0-ddddd'] },
    );
    // found by the event id alone too (no trace id known)
    assert.deepEqual((await awaitEventTrace(query, eventId, { attempts: 1 })).missing, []);
  });

  it('names the hops without a span, and an event the store has no trace of', async () => {
    const eventId = randomUUID();
    const traceId = hex(16);
    await export_(jaeger, eventSpans(eventId, traceId, ['oleada-gateway', 'oleada-relay']));
    let result = await awaitEventTrace(query, eventId, { traceId, attempts: 1 });
    // (the receiver stores asynchronously: poll until the two exported hops are there)
    for (let i = 0; i < 30 && result.missing.length > 2; i++) result = await awaitEventTrace(query, eventId, { traceId, attempts: 1 });
    assert.deepEqual(result.missing, ['oleada-writer', 'oleada-consumer']);
    const none = await awaitEventTrace(query, randomUUID(), { traceId: hex(16), attempts: 2, intervalMs: 10 });
    assert.equal(none.found, undefined);
    assert.deepEqual(none.missing, ['oleada-gateway', 'oleada-relay', 'oleada-writer', 'oleada-consumer']);
  });
});
