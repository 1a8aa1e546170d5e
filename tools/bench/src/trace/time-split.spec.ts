import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EVENT_ID_TAG, JaegerQuery, startJaeger, testPortOffset, type JaegerHandle, type JaegerTrace } from '@oleada/local';
import { eventTimeline, timeSplit } from './time-split';

/** OTLP's span kinds (opentelemetry-proto trace.proto). */
const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

interface Made {
  readonly service: string;
  readonly kind: keyof typeof KIND;
  readonly name: string;
  readonly spanId: string;
  readonly parent?: string;
  /** Milliseconds after the trace's start. */
  readonly startMs: number;
  readonly endMs: number;
  readonly eventId?: string;
}

const spanId = () => randomBytes(8).toString('hex');

/**
 * One event's spans as the apps make them (libs/telemetry), hop by hop with the times given (ms
 * after the gateway received the request): gateway → relay → relay's WriteBatch call per attempt →
 * writer's WriteBatch → send → the consumer's span for the event, one per delivery.
 */
function eventSpans(eventId: string, times: { relay: number; attempts: ReadonlyArray<{ call: number; writer: number; send?: readonly [number, number] }>; deliveries: ReadonlyArray<readonly [number, number]>; answered: number }): Made[] {
  const gateway = spanId();
  const relay = spanId();
  const spans: Made[] = [
    { service: 'oleada-gateway', kind: 'server', name: 'POST /api/v1/blackfriday/events', spanId: gateway, startMs: 0, endMs: times.answered, eventId },
    { service: 'oleada-relay', kind: 'server', name: 'POST /relay/blackfriday/events:batch', spanId: relay, parent: gateway, startMs: times.relay, endMs: times.answered - 0.5, eventId },
  ];
  for (const attempt of times.attempts) {
    const call = spanId();
    const writer = spanId();
    const end = attempt.send?.[1] ?? attempt.writer + 1;
    spans.push(
      { service: 'oleada-relay', kind: 'client', name: 'oleada.writer.v1.EventBatchService/WriteBatch', spanId: call, parent: relay, startMs: attempt.call, endMs: end + 0.2, eventId },
      { service: 'oleada-writer', kind: 'server', name: 'oleada.writer.v1.EventBatchService/WriteBatch', spanId: writer, parent: call, startMs: attempt.writer, endMs: end + 0.1, eventId },
    );
    if (!attempt.send) continue;
    const send = spanId();
    spans.push({ service: 'oleada-writer', kind: 'producer', name: 'send blackfriday.sales', spanId: send, parent: writer, startMs: attempt.send[0], endMs: attempt.send[1], eventId });
    for (const [from, to] of times.deliveries) spans.push({ service: 'oleada-consumer', kind: 'consumer', name: 'process blackfriday.sales', spanId: spanId(), parent: send, startMs: from, endMs: to, eventId });
  }
  return spans;
}

/** Posts each trace's spans to the store's OTLP/HTTP receiver as OTLP/JSON, one resource per app. */
async function post(jaeger: JaegerHandle, traces: ReadonlyArray<{ traceId: string; startNs: bigint; spans: readonly Made[] }>): Promise<void> {
  const ns = (base: bigint, ms: number) => String(base + BigInt(Math.round(ms * 1000)) * 1000n);
  const services = [...new Set(traces.flatMap((t) => t.spans.map((s) => s.service)))];
  const body = {
    resourceSpans: services.map((service) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'oleada' },
          spans: traces.flatMap((t) =>
            t.spans
              .filter((s) => s.service === service)
              .map((s) => ({
                traceId: t.traceId,
                spanId: s.spanId,
                ...(s.parent ? { parentSpanId: s.parent } : {}),
                name: s.name,
                kind: KIND[s.kind],
                startTimeUnixNano: ns(t.startNs, s.startMs),
                endTimeUnixNano: ns(t.startNs, s.endMs),
                attributes: s.eventId ? [{ key: EVENT_ID_TAG, value: { stringValue: s.eventId } }] : [],
              })),
          ),
        },
      ],
    })),
  };
  const response = await fetch(`${jaeger.otlpEndpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

describe("where an event's time goes, from traces a real Jaeger stored", () => {
  let jaeger: JaegerHandle;
  let query: JaegerQuery;
  let stored: JaegerTrace[] = [];
  const ids = { plain: randomUUID(), overlapped: randomUUID(), retried: randomUUID(), twice: randomUUID(), refused: randomUUID() };
  const traceIds = Object.fromEntries(Object.keys(ids).map((k) => [k, randomBytes(16).toString('hex')])) as Record<keyof typeof ids, string>;

  before(async () => {
    jaeger = await startJaeger({ port: testPortOffset(20830) });
    query = new JaegerQuery(jaeger.queryUrl);
    const base = BigInt(Date.now() - 60_000) * 1_000_000n;
    const at = (seconds: number) => base + BigInt(seconds) * 1_000_000_000n;
    await post(jaeger, [
      // 2 ms in the gateway, 3 in the relay, 4 writing, 11 in the broker, 4 applying: 24 ms
      { traceId: traceIds.plain, startNs: at(0), spans: eventSpans(ids.plain, { relay: 2, attempts: [{ call: 3, writer: 5, send: [5.5, 9] }], deliveries: [[20, 24]], answered: 12 }) },
      // the consumer's batch began 1 ms before the writer saw the acknowledgement: 0 in the broker
      { traceId: traceIds.overlapped, startNs: at(1), spans: eventSpans(ids.overlapped, { relay: 1, attempts: [{ call: 2, writer: 3, send: [3, 8] }], deliveries: [[7, 10]], answered: 9 }) },
      // the first writer did not make it durable; the second did: the chain goes through the second
      { traceId: traceIds.retried, startNs: at(2), spans: eventSpans(ids.retried, { relay: 1, attempts: [{ call: 1, writer: 2 }, { call: 30, writer: 31, send: [31, 33] }], deliveries: [[40, 42]], answered: 34 }) },
      // delivered twice: the first delivery to finish is when it showed in Valkey
      { traceId: traceIds.twice, startNs: at(3), spans: eventSpans(ids.twice, { relay: 1, attempts: [{ call: 1, writer: 2, send: [2, 4] }], deliveries: [[60, 70], [6, 8]], answered: 5 }) },
      // refused at the gateway (422): no chain
      { traceId: traceIds.refused, startNs: at(4), spans: eventSpans(ids.refused, { relay: 0, attempts: [], deliveries: [], answered: 1 }).slice(0, 1) },
    ]);
    const window = { from: Number(at(-1) / 1_000_000n), to: Number(at(10) / 1_000_000n) };
    // The receiver stores asynchronously: ask until the five traces are there with all their spans.
    for (let attempt = 0; attempt < 60; attempt++) {
      stored = (await query.tracesBetween('oleada-gateway', window.from, window.to, 100)).filter((t) => Object.values(traceIds).includes(t.traceID));
      if (stored.length === 5 && stored.reduce((n, t) => n + t.spans.length, 0) === 6 + 6 + 8 + 7 + 1) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  after(async () => {
    await jaeger?.stop();
  });

  const timelineOf = (name: keyof typeof ids) => {
    const trace = stored.find((t) => t.traceID === traceIds[name]);
    assert.ok(trace, `${name}: the store returned the trace`);
    return eventTimeline(trace);
  };

  it('cuts one event into its hops at the spans it crossed (Jaeger gives the kinds as span.kind)', () => {
    const timeline = timelineOf('plain');
    assert.ok(timeline);
    assert.equal(timeline.eventId, ids.plain);
    assert.deepEqual(timeline.hopsUs, [2000, 3000, 4000, 11000, 4000]);
    assert.equal(timeline.totalUs, 24000);
    assert.equal(timeline.overlapped, false);
  });

  it('an overlap of the writer and the consumer goes to the writer; a retry goes through the writer that made it durable; the first delivery counts', () => {
    const overlapped = timelineOf('overlapped');
    assert.deepEqual(overlapped?.hopsUs, [1000, 2000, 5000, 0, 2000]);
    assert.equal(overlapped?.overlapped, true);
    assert.deepEqual(timelineOf('retried')?.hopsUs, [1000, 30000, 2000, 7000, 2000]);
    assert.deepEqual(timelineOf('twice')?.hopsUs, [1000, 1000, 2000, 2000, 2000]);
    assert.equal(timelineOf('refused'), undefined);
  });

  it('adds the events up: per hop mean, p50 and the share of the events\' summed time', () => {
    const split = timeSplit(stored);
    assert.equal(split.traces, 5);
    assert.equal(split.events, 4);
    assert.equal(split.overlapped, 1);
    // totals 24, 10, 42 and 8 ms: 84 ms in all
    assert.deepEqual(
      split.hops.map((h) => [h.key, h.meanMs, Math.round(h.share * 84 * 1000) / 1000]),
      [
        ['gateway', 5 / 4, 5],
        ['relay', 36 / 4, 36],
        ['writer', 13 / 4, 13],
        ['broker', 20 / 4, 20],
        ['consumer', 10 / 4, 10],
      ],
    );
    assert.equal(split.total.meanMs, 84 / 4);
    assert.equal(split.total.p50Ms, 17);
    assert.equal(split.hops.find((h) => h.key === 'broker')?.p50Ms, 4.5);
  });
});
