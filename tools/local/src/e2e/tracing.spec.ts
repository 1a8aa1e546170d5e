import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchRoute, blackfridayScenario, canonicalRoute, seededRandom } from '@oleada/scenarios';
import { startJaeger, type JaegerHandle } from '../infra';
import { repoRoot } from '../infra/paths';
import { postEvents, waitFor } from '../load';
import { LocalStack, type StackBroker } from '../stack';
import { runCli, TEST_STACK_ENV, testConsumerCredential, testPortOffset, testRabbitMQ, testServers, uniqueName } from '../testing';
import { EVENT_ID_TAG, JaegerQuery, tagOf, type JaegerSpan, type JaegerTrace } from '../trace/jaeger-query';
import { post } from './pipeline-suite';

/**
 * One trace per event (issue 26), against a real Jaeger (built by `tools/cluster/build.sh jaeger`)
 * and the real apps: the store must start, or every test here fails saying why.
 */
const scenario = blackfridayScenario;

function stackFor(broker: Exclude<StackBroker, 'both'>, portOffset: number, otel: Record<string, string>): LocalStack {
  const { kafkaBrokers, valkeyUrl } = testServers();
  return new LocalStack({
    kafkaBrokers,
    valkeyUrl,
    valkeyCredential: testConsumerCredential(),
    rabbitmq: broker === 'rabbitmq' ? testRabbitMQ() : undefined,
    broker,
    scenarios: [scenario.name],
    portOffset: testPortOffset(portOffset),
    groupId: uniqueName('tracing'),
    logDir: join(repoRoot(), '.cache/run', `logs-e2e-tracing-${broker}`),
    env: { ...TEST_STACK_ENV, ...otel },
  });
}

function spanOf(trace: JaegerTrace, service: string, name: string | RegExp): JaegerSpan[] {
  return trace.spans.filter((span) => trace.processes[span.processID]?.serviceName === service && (typeof name === 'string' ? span.operationName === name : name.test(span.operationName)));
}

function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((ref) => ref.refType === 'CHILD_OF' && ref.traceID === span.traceID)?.spanID;
}

function one(spans: readonly JaegerSpan[], what: string, trace: JaegerTrace): JaegerSpan {
  assert.equal(spans.length, 1, `one ${what} span in trace ${trace.traceID}: ${trace.spans.map((s) => `${trace.processes[s.processID]?.serviceName}:${s.operationName}`).join(', ')}`);
  return spans[0];
}

/** Every hop's span of one event (service, operation); each process exports on its own clock. */
const HOPS: ReadonlyArray<readonly [string, RegExp]> = [
  ['oleada-gateway', /^POST \/api\/v1\/blackfriday\/events(:batch)?$/],
  ['oleada-relay', /^POST \/internal\/v1\/blackfriday\/events:batch$/],
  ['oleada-relay', /^oleada\.writer\.v1\.EventBatchService\/WriteBatch$/],
  ['oleada-writer', /^oleada\.writer\.v1\.EventBatchService\/WriteBatch$/],
  ['oleada-writer', /^send /],
  ['oleada-consumer', /^process /],
];

/** The event's traces once one of them holds every hop's span (or what was there when the wait ran out). */
async function completeTraceOf(query: JaegerQuery, eventId: string): Promise<JaegerTrace[]> {
  let traces: JaegerTrace[] = [];
  const complete = (trace: JaegerTrace) => HOPS.every(([service, name]) => spanOf(trace, service, name).length > 0);
  try {
    await waitFor(
      async () => {
        traces = await query.tracesOfEvent(eventId, 1);
        return traces.some(complete);
      },
      180_000,
      `the trace of event ${eventId} with every hop's span`,
      500,
    );
  } catch (error) {
    const seen = traces.map((t) => `${t.traceID}: ${t.spans.map((s) => `${t.processes[s.processID]?.serviceName}:${s.operationName}`).join(', ')}`);
    throw new Error(`${(error as Error).message}; found ${seen.length > 0 ? seen.join(' | ') : 'no trace'}`);
  }
  return traces;
}

/** Gateway → relay → relay's gRPC call → writer → produce → consumer, each the parent of the next; the consumer's batch linked. */
async function assertOneTracePerEvent(query: JaegerQuery, eventId: string, broker: string, single: boolean): Promise<void> {
  const traces = await completeTraceOf(query, eventId);
  assert.equal(traces.length, 1, `one trace for event ${eventId}, got ${traces.map((t) => t.traceID).join(', ')}`);
  const [trace] = traces;
  const mine = (spans: JaegerSpan[]) => spans.filter((span) => tagOf(span, EVENT_ID_TAG) === eventId || tagOf(span, EVENT_ID_TAG) === undefined);
  const gateway = one(spanOf(trace, 'oleada-gateway', single ? `POST ${canonicalRoute(scenario)}` : `POST ${batchRoute(scenario)}`), 'gateway request', trace);
  assert.equal(parentOf(gateway), undefined, 'the gateway span is the root');
  assert.equal(tagOf(gateway, 'http.response.status_code'), 202);
  const relay = one(mine(spanOf(trace, 'oleada-relay', /^POST \/internal\/v1\/blackfriday\/events:batch$/)), 'relay', trace);
  assert.equal(parentOf(relay), gateway.spanID, "the relay's span is the gateway span's child");
  const call = one(mine(spanOf(trace, 'oleada-relay', 'oleada.writer.v1.EventBatchService/WriteBatch')), "relay's gRPC call", trace);
  assert.equal(parentOf(call), relay.spanID, 'the gRPC call is the relay span child');
  assert.equal(tagOf(call, 'rpc.system.name'), 'grpc');
  const served = one(mine(spanOf(trace, 'oleada-writer', 'oleada.writer.v1.EventBatchService/WriteBatch')), 'writer RPC', trace);
  assert.equal(parentOf(served), call.spanID, "the writer's RPC span is the gRPC call's child (gRPC: the batch event's traceparent)");
  const send = one(mine(spanOf(trace, 'oleada-writer', /^send /)), 'produce', trace);
  assert.equal(parentOf(send), served.spanID, 'the produce span is the RPC span child');
  assert.equal(tagOf(send, 'messaging.system'), broker);
  assert.equal(tagOf(send, 'messaging.operation.type'), 'send');
  const consumed = one(mine(spanOf(trace, 'oleada-consumer', /^process /)), 'consumer (per event)', trace);
  assert.equal(parentOf(consumed), send.spanID, `the consumer's span is the produce span's child (the ${broker} message header)`);
  for (const span of [relay, call, served, send, consumed]) assert.equal(tagOf(span, EVENT_ID_TAG), eventId, `${span.operationName} names the event`);
  if (single) assert.equal(tagOf(gateway, EVENT_ID_TAG), eventId);

  // The consumer's batch: its own trace, linked to the event's produce span; the Valkey call its child.
  const batchRef = consumed.references.find((ref) => ref.refType === 'FOLLOWS_FROM' && ref.traceID !== trace.traceID);
  assert.ok(batchRef, "the event's consumer span links to the batch span");
  const batchTrace = await query.trace(batchRef.traceID);
  assert.ok(batchTrace, `the batch trace ${batchRef.traceID} is in the store`);
  const batch = one(batchTrace.spans.filter((span) => span.spanID === batchRef.spanID), 'consumer batch', batchTrace);
  assert.equal(parentOf(batch), undefined, 'the batch span has no parent: links instead');
  assert.ok(
    batch.references.some((ref) => ref.refType === 'FOLLOWS_FROM' && ref.traceID === trace.traceID && ref.spanID === send.spanID),
    "the batch span links to the event's produce span",
  );
  assert.equal(tagOf(batch, 'messaging.system'), broker);
  const fcall = one(batchTrace.spans.filter((span) => span.operationName === 'FCALL'), 'Valkey FCALL', batchTrace);
  assert.equal(parentOf(fcall), batch.spanID, 'the Valkey call is the batch span child');
}

describe('tracing: one trace per event in a real trace store', () => {
  let jaeger: JaegerHandle;
  let query: JaegerQuery;

  before(async () => {
    jaeger = await startJaeger({ port: testPortOffset(18800) });
    query = new JaegerQuery(jaeger.queryUrl);
  });

  after(async () => {
    await jaeger?.stop();
  });

  for (const [broker, portOffset] of [
    ['kafka', 650],
    ['rabbitmq', 680],
  ] as const) {
    describe(`through ${broker}`, () => {
      let stack: LocalStack;

      before(async () => {
        stack = stackFor(broker, portOffset, { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
        await stack.start();
        await stack.waitCaughtUp();
      });

      after(async () => {
        await stack?.stop();
      });

      it('an event sent alone and one of a batch each have one trace with every hop, parented and linked', async () => {
        const random = seededRandom(26);
        const sent = await postEvents({ baseUrl: stack.gatewayUrl, path: canonicalRoute(scenario), bodies: Array.from({ length: 20 }, () => scenario.sample(random)), concurrency: 8 });
        assert.deepEqual(new Set(sent.results.map((r) => r.status)), new Set([202]));
        const chosen = sent.results[7].id as string;
        await assertOneTracePerEvent(query, chosen, broker, true);
        // `npm run trace -- <event id>` prints the same trace: every hop, gateway in → Valkey applied.
        const printed = runCli('tools/local/dist/cli/trace.js', [chosen, '--query-url', jaeger.queryUrl]);
        assert.equal(printed.status, 0, printed.stderr);
        for (const hop of ['oleada-gateway', 'oleada-relay', 'oleada-writer', 'oleada-consumer', '[batch] FCALL', `event ${chosen}`]) assert.ok(printed.stdout.includes(hop), `the printed trace shows ${hop}:\n${printed.stdout}`);
        process.stdout.write(`# npm run trace -- ${chosen}\n${printed.stdout}`);
        const batch = await post(`${stack.gatewayUrl}${batchRoute(scenario)}`, JSON.stringify(Array.from({ length: 5 }, () => scenario.sample(random))));
        assert.equal(batch.status, 202, JSON.stringify(batch.json));
        await assertOneTracePerEvent(query, (batch.json.ids as string[])[3], broker, false);
      });
    });
  }

  describe('with sampling at 0', () => {
    let stack: LocalStack;
    let zero: JaegerHandle;
    let zeroQuery: JaegerQuery;

    before(async () => {
      // A store of its own: it must stay empty of everything but the refused event.
      zero = await startJaeger({ port: testPortOffset(18810) });
      zeroQuery = new JaegerQuery(zero.queryUrl);
      // RabbitMQ: its queues are empty once the suites above acked everything. (A new Kafka group
      // would first re-read those suites' sampled events, and rightly export their batch spans.)
      stack = stackFor('rabbitmq', 700, { OTEL_EXPORTER_OTLP_ENDPOINT: zero.otlpEndpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
      await stack.start();
      await stack.waitCaughtUp();
    });

    after(async () => {
      await stack?.stop();
      await zero?.stop();
    });

    it('exports nothing for accepted events, but a refused event (422) still has its trace', async () => {
      const random = seededRandom(260);
      const sent = await postEvents({ baseUrl: stack.gatewayUrl, path: canonicalRoute(scenario), bodies: Array.from({ length: 30 }, () => scenario.sample(random)), concurrency: 8 });
      assert.deepEqual(new Set(sent.results.map((r) => r.status)), new Set([202]));
      // Once the consumer caught up every span of those events has ended (the consumer's last).
      await stack.waitCaughtUp();

      // The caller's own trace, not sampled (flags 00): refused, it is kept anyway.
      const traceId = randomBytes(16).toString('hex');
      const refused = await post(`${stack.gatewayUrl}${canonicalRoute(scenario)}`, JSON.stringify({ ...scenario.sample(random), precio: 'free' }), {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-00`,
      });
      assert.equal(refused.status, 422);
      let trace: JaegerTrace | undefined;
      await waitFor(async () => (trace = await zeroQuery.trace(traceId)) !== undefined, 60_000, `the refused request's trace ${traceId}`, 500);
      const span = one(trace!.spans, 'refused request', trace!);
      assert.equal(span.operationName, `POST ${canonicalRoute(scenario)}`);
      assert.equal(tagOf(span, 'http.response.status_code'), 422);
      assert.equal(tagOf(span, 'oleada.sampling.forced'), true);

      // Every app flushes its spans on SIGTERM: what they held is in the store once they exited.
      const codes = await stack.stop();
      assert.deepEqual(Object.values(codes).filter((code) => code !== 0), [], JSON.stringify(codes));
      assert.deepEqual(await zeroQuery.services(), ['oleada-gateway'], 'only the refused request was exported');
      for (const result of sent.results.slice(0, 5)) assert.deepEqual(await zeroQuery.tracesOfEvent(result.id as string, 1), [], `no trace of accepted event ${result.id}`);
    });
  });
});
