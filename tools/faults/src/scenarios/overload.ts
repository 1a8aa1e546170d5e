import assert from 'node:assert/strict';
import { it } from 'node:test';
import { scrapeMetric } from '@oleada/local';
import { canonicalRoute } from '@oleada/scenarios';
import { METRIC_NAMES } from '@oleada/shared';
import { runLoad, summarize, type LoadReport } from '../load-client';
import { RssSampler } from '../proc';
import { latencyPercentile, sale, scenario, type FaultSuite } from '../harness';

const MAX_IN_FLIGHT = 48;
/** Closed loops up to MAX_IN_FLIGHT: beyond it the gateway sheds, so its capacity is reached there. */
const RAMP = [12, 24, MAX_IN_FLIGHT];
const RAMP_STEP_MS = 3500;
const OVERLOAD_FACTOR = 2.5;
const OVERLOAD_MS = 60_000;

/** Accepted events per second of a closed-loop run. */
function acceptedPerSecond(report: LoadReport): number {
  return summarize(report).accepted / ((report.endedAt - report.startedAt) / 1000);
}

const ms = (value: number) => `${value.toFixed(0)} ms`;

/** Capacity measured first, then 2.5× of it offered for 60 s to a gateway with a small MAX_IN_FLIGHT. */
export function overloadTests(suite: FaultSuite): void {
  it(`overload at ${OVERLOAD_FACTOR}× the measured capacity for ${OVERLOAD_MS / 1000} s: fast 503s, every accepted event counted once, nothing crashes`, async () => {
    const gateway = await suite.gateway('gateway-overload', 1, { MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) });
    const url = `http://127.0.0.1:${gateway.spec.port}`;
    const path = canonicalRoute(scenario);
    const baseline = await suite.total();
    const rss = new RssSampler(() => ({
      ...Object.fromEntries(suite.apps.map((app) => [app.spec.name, app.pid])),
      kafka: suite.kafka.pid,
      valkey: suite.valkey.pid,
    }));
    const shedBefore = await scrapeMetric(gateway.spec.port, METRIC_NAMES.gatewayRequests, { kind: 'shed' });

    // 1. Capacity: closed loops of growing concurrency, the best rate of accepted events wins.
    const ramp: LoadReport[] = [];
    let next = 0;
    for (const concurrency of RAMP) {
      const offset = next;
      const report = await runLoad({
        baseUrl: url,
        path,
        events: 1_000_000,
        durationMs: RAMP_STEP_MS,
        maxOutstanding: concurrency,
        body: (i) => sale(offset + i),
        key: (i) => suite.key('overload', offset + i),
      });
      next += report.events.length;
      ramp.push(report);
    }
    const capacity = Math.max(...ramp.map(acceptedPerSecond));
    const rampP99 = Math.max(...ramp.map((r) => latencyPercentile(r, 202, 99)));

    // 2. Overload: an open loop at 2.5× capacity, retries included, for 60 s.
    const target = Math.round(capacity * OVERLOAD_FACTOR);
    const offset = next;
    const overload = await runLoad({
      baseUrl: url,
      path,
      events: 10_000_000,
      requestsPerSecond: target,
      durationMs: OVERLOAD_MS,
      maxOutstanding: 1024,
      giveUpAfterMs: 300_000,
      body: (i) => sale(offset + i),
      key: (i) => suite.key('overload', offset + i),
    });
    const memory = rss.stop();
    const shed = (await scrapeMetric(gateway.spec.port, METRIC_NAMES.gatewayRequests, { kind: 'shed' })) - shedBefore;
    const window = overload.startedAt + OVERLOAD_MS;
    const offered = overload.attempts.filter((a) => a.sentAt < window).length / (OVERLOAD_MS / 1000);
    const acceptedRate = overload.attempts.filter((a) => a.status === 202 && a.sentAt < window).length / (OVERLOAD_MS / 1000);
    const p99Accepted = latencyPercentile(overload, 202, 99, -Infinity, window);
    const p50Accepted = latencyPercentile(overload, 202, 50, -Infinity, window);
    const p99Shed = latencyPercentile(overload, 503, 99, -Infinity, window);
    const crashed = suite.apps.filter((app) => !app.running).map((app) => app.spec.name);

    // One report of every request of the test: the ramp's and the overload's.
    const all: LoadReport = {
      events: [...ramp.flatMap((r) => r.events), ...overload.events],
      attempts: [...ramp.flatMap((r) => r.attempts), ...overload.attempts],
      startedAt: ramp[0].startedAt,
      endedAt: overload.endedAt,
    };
    const growth = Object.entries(memory)
      .map(([name, m]) => `${name} ${m.first.toFixed(0)}→${m.max.toFixed(0)}`)
      .join(', ');
    await suite.account(
      '07-overload',
      `overload: ${OVERLOAD_FACTOR}× the measured capacity for ${OVERLOAD_MS / 1000} s into a gateway with MAX_IN_FLIGHT=${MAX_IN_FLIGHT}`,
      all,
      baseline,
      [
        `capacity ${capacity.toFixed(0)} events/s (ramp p99 ${ms(rampP99)})`,
        `offered ${offered.toFixed(0)} req/s (${(offered / capacity).toFixed(1)}× capacity, ${(offered / acceptedRate).toFixed(1)}× what it accepted: ${acceptedRate.toFixed(0)}/s), ${shed} shed by the gateway`,
        `p50/p99 of 202s ${ms(p50Accepted)}/${ms(p99Accepted)}, p99 of 503s ${ms(p99Shed)}`,
        `RSS MiB first→max: ${growth}`,
        crashed.length > 0 ? `CRASHED: ${crashed.join(', ')}` : 'no process crashed',
      ],
    );
    assert.deepEqual(crashed, [], 'every process is still running');
    assert.ok(shed > 0, 'the gateway shed load with 503 once it was at MAX_IN_FLIGHT');
    assert.equal(summarize(all).otherServerErrors, 0, 'overload is answered with 503, never another 5xx');
  });
}
