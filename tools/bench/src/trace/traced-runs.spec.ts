import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKafka } from '@oleada/broker';
import { repoRoot, testConsumerCredential, testPortOffset, testServers, testValkey, TRACED_SERVICES, uniqueName } from '@oleada/local';
import { blackfridayScenario, canonicalRoute } from '@oleada/scenarios';
import { createLogger } from '@oleada/shared';
import type Valkey from 'iovalkey';
import type { Admin } from 'kafkajs';
import { runBenchAb } from '../ab/section';
import { pidListeningOn } from '../measure/processes';
import { BodyPool, type BenchEnv } from '../stack-run';
import { STACK_VARIANTS } from '../stacks';
import { runTimeSplit } from './section';
import { TIME_SPLIT_HOPS } from './time-split';

/**
 * The bench's traced runs on the real apps, a real Kafka and Valkey and a real Jaeger (built by
 * `tools/cluster/build.sh jaeger`): the A/B run whose B traces, and "where an event's time goes".
 * Small and short: this checks what reaches the store, not how fast anything is.
 */
const scenario = blackfridayScenario;
const route = canonicalRoute(scenario);

describe("the bench's traced runs, on a real stack and a real Jaeger", () => {
  let env: BenchEnv;
  let valkey: Valkey;
  let admin: Admin;
  const bodies = new BodyPool(scenario, 500);
  const jaegerPort = testPortOffset(20840);
  const logged: string[] = [];

  before(async () => {
    const { kafkaBrokers, valkeyUrl } = testServers();
    valkey = await testValkey();
    admin = createKafka({ brokers: kafkaBrokers.split(','), clientId: 'oleada-bench-spec' }, createLogger('bench-spec', 'error')).admin();
    await admin.connect();
    env = {
      kafkaBrokers,
      valkeyUrl,
      valkeyCredential: testConsumerCredential(),
      kafkaPid: pidListeningOn(Number(kafkaBrokers.split(',')[0].split(':')[1])),
      valkeyPid: pidListeningOn(Number(new URL(valkeyUrl).port)),
      scenario,
      portOffset: testPortOffset(950),
      logDir: join(repoRoot(), '.cache/run', 'logs-bench-traced-spec'),
      valkey,
      admin,
      groupId: uniqueName('bench-traced'),
      log: (message) => logged.push(message),
    };
  });

  after(async () => {
    valkey?.disconnect();
    await admin?.disconnect();
  });

  it('--ab-tracing 1: every B round reaches Jaeger with every app\'s spans, no A round does, and the store is measured beside the stack', async () => {
    const args = { 'ab-tracing': 1, 'ab-rounds': 2, 'ab-rate': 40, 'ab-seconds': 2, 'ab-seed': 1, 'jaeger-port': jaegerPort, connections: 4 };
    const result = await runBenchAb(env, STACK_VARIANTS.default, args, bodies, route);
    assert.ok(result.tracing, logged.join('\n'));
    assert.equal(result.a.env?.OTEL_SDK_DISABLED, 'true');
    assert.equal(result.b.env?.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
    assert.equal(result.b.env?.OTEL_TRACES_SAMPLER_ARG, '1');
    assert.equal(result.b.env?.OTEL_EXPORTER_OTLP_ENDPOINT, `http://127.0.0.1:${jaegerPort}`);
    assert.deepEqual(result.load, { kind: 'rate', rate: 40 });
    const rounds = result.tracing.rounds;
    assert.equal(rounds.length, 4);
    for (const round of rounds.filter((r) => r.side === 'A')) assert.equal(round.traces, 0, `A round ${round.round} exported nothing`);
    for (const round of rounds.filter((r) => r.side === 'B')) {
      const accepted = result.rounds.find((r) => r.side === 'B' && r.round === round.round)?.accepted ?? 0;
      assert.ok(accepted > 0, `B round ${round.round} had events accepted`);
      // Every accepted event was sampled (ratio 1): one trace each, begun in the round.
      assert.equal(round.traces, accepted, `B round ${round.round}: ${round.traces} traces for ${accepted} accepted events`);
      assert.deepEqual(round.services, [...TRACED_SERVICES], `B round ${round.round}: spans from every app`);
    }
    assert.ok(result.rounds.every((r) => r.traceStoreCpuMsPerEvent !== undefined), "the store's CPU was sampled in every round");
    assert.ok(result.figures.every((f) => !/trace store/.test(f.figure)), "and is not one of the stack's figures");
  });

  it("where an event's time goes: a traced 40/s run and a saturation run, cut into hops from the traces Jaeger returned", async () => {
    const result = await runTimeSplit(env, STACK_VARIANTS.default, { ratio: 1, jaegerPort, rate: 40, connections: 4, seconds: 2, warmupSeconds: 1 }, bodies, route);
    assert.deepEqual(
      result.runs.map((r) => [r.offeredRate, r.connections]),
      [
        [40, undefined],
        [undefined, 4],
      ],
    );
    for (const run of result.runs) {
      assert.ok(run.split.events > 0, `${run.label}: events measured (${run.split.events} of ${run.traces} traces)\n${logged.slice(-5).join('\n')}`);
      assert.equal(run.split.events, run.counted, `${run.label}: every counted event's trace is complete (ratio 1)`);
      assert.deepEqual(run.split.hops.map((h) => h.key), TIME_SPLIT_HOPS.map((h) => h.key));
      const shares = run.split.hops.reduce((sum, h) => sum + h.share, 0);
      assert.ok(Math.abs(shares - 1) < 1e-9, `${run.label}: the shares add up to the whole (${shares})`);
      assert.ok(run.split.hops.every((h) => h.meanMs >= 0 && h.p99Ms >= h.p50Ms), JSON.stringify(run.split.hops));
    }
  });
});
