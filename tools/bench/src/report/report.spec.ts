import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StackRunResult } from '../stack-run';
import { reportCharts, renderSvg } from './charts';
import { table } from './format';
import { memorySection, renderMarkdown } from './markdown';
import { checkTargets, TARGETS } from './targets';
import { TIME_SPLIT_HOPS } from '../trace/time-split';
import type { BenchReport } from './model';

const latency = (p99: number) => ({ count: 100, mean: p99 / 3, p50: p99 / 4, p95: p99 / 2, p99, max: p99 * 2 });
const hop = { count: 10, meanMs: 1, p99Ms: 2 };

function run(overrides: Partial<StackRunResult> & { p99?: number; rss?: number } = {}): StackRunResult {
  const { p99 = 20, rss = 150, ...rest } = overrides;
  return {
    label: 'run',
    load: { sent: 1000, accepted: 1000, statuses: { 202: 1000 }, dropped: 0, seconds: 10, latency: latency(p99) },
    acceptedRate: 100,
    counted: 1000,
    lost: 0,
    duplicates: 0,
    endToEndRate: 100,
    endToEndSeconds: 10,
    lag: { max: 5, mean: 1 },
    processes: [
      { name: 'gateway', pid: 1, cpuPercent: 50, cpuMsPerEvent: 0.5, rssMaxMiB: rss, rssMeanMiB: rss - 10 },
      { name: 'kafka', pid: 2, cpuPercent: 30, cpuMsPerEvent: 0.3, rssMaxMiB: 400, rssMeanMiB: 390 },
    ],
    hops: { gateway: hop, relayGrpc: hop, writerRpc: hop, produce: hop, valkeyApply: hop, freshness: { count: 5000, p50Ms: 42, p99Ms: 180 } },
    heaps: { gateway: { usedMiB: 40, totalMiB: 90 } },
    loadAverage: [1.5, 2.5],
    ...rest,
  };
}

function report(partial: Partial<BenchReport> = {}): BenchReport {
  const base = { sweep: [run({ offeredRate: 500 }), run({ offeredRate: 1500, p99: 80 })], sustained: run({ connections: 64, endToEndRate: 3100, endToEndSeconds: 61 }), writers: [], brokers: [], quick: false };
  return {
    generatedAt: '2026-11-22T00:00:00Z',
    command: 'npm run bench',
    minutes: 9.5,
    scenario: 'blackfriday',
    machine: { cpuModel: 'Test CPU', nproc: 2, memoryGiB: 8, os: 'Linux', node: 'v20', java: 'openjdk 17', valkey: 'Valkey 9', kafka: '4.3.0' },
    loadAverage: { before: [1, 1, 1], after: [2, 2, 2] },
    settings: { rates: [500, 1500], stepSeconds: 20, saturationConnections: 64, sustainedSeconds: 60, comparisonSeconds: 15 },
    valkey: [],
    hops: [],
    profile: [],
    failures: [],
    ...base,
    targets: checkTargets(base),
    brokersPending: 'RabbitMQ not yet available',
    ...partial,
  };
}

describe('the report', () => {
  it('judges each target of issue #15 from the figures', () => {
    const sweep = [run({ offeredRate: 500, rss: 120 }), run({ offeredRate: 2500, p99: 80, rss: 120 })];
    const [saturation, cost, sustained, p99, rss] = checkTargets({ sweep, sustained: run({ connections: 64, endToEndRate: 5100, endToEndSeconds: 61, rss: 140 }), writers: [], brokers: [], quick: false });
    assert.equal(saturation.met, true, saturation.measured);
    assert.match(saturation.measured, /5,100 counted events\/s/);
    assert.equal(cost.target, `≤ ${TARGETS.cpuMsPerEvent} CPU-ms per counted event at saturation (apps + broker + Valkey)`);
    assert.equal(sustained.met, undefined, 'no open-loop run: not measured');
    assert.equal(p99.met, false, 'p99 80 ms at 2,500/s misses 50 ms');
    assert.equal(rss.met, true, '140 MiB = 147 MB');
    assert.equal(checkTargets({ sweep, sustained: run({ connections: 64, endToEndRate: 4900, endToEndSeconds: 61 }), writers: [], brokers: [], quick: false })[0].met, false, '4,900/s misses 5,000/s');
    const heavy = checkTargets({ sweep: [run({ offeredRate: 2500, rss: 160 })], sustained: undefined, writers: [], brokers: [], quick: true });
    assert.equal(heavy[0].met, undefined, 'no saturation run: not measured');
    assert.equal(heavy[3].met, true);
    assert.equal(heavy[4].met, false, '160 MiB is above 150 MB');
    assert.match(heavy[4].measured, /gateway 160 MiB/);
    assert.equal(checkTargets({ sweep: [run({ offeredRate: 1500 })], sustained: undefined, writers: [], brokers: [], quick: true })[3].met, undefined, 'no 2,500/s step: not measured');
  });

  it('counts a saturation run that lost events as missed, whatever its rate', () => {
    const [saturation] = checkTargets({ sweep: [], sustained: run({ endToEndRate: 6000, endToEndSeconds: 60, lost: 1 }), writers: [], brokers: [], quick: false });
    assert.equal(saturation.met, false);
  });

  it('judges the sustained target by the open-loop run: every request offered, accepted and counted once', () => {
    const window = (load: Partial<StackRunResult['load']>, more: Partial<StackRunResult> = {}) =>
      run({ offeredRate: 5000, load: { sent: 300000, accepted: 300000, statuses: { 202: 300000 }, dropped: 0, seconds: 60.1, latency: latency(40), ...load }, counted: 300000, ...more });
    const judge = (o: StackRunResult) => checkTargets({ sweep: [], sustained: undefined, sustainedOffered: o, writers: [], brokers: [], quick: false })[2];
    const kept = judge(window({}));
    assert.equal(kept.met, true, kept.measured);
    assert.match(kept.measured, /5,000\/s offered for 60\.1 s: 300,000 of 300,000 accepted/);
    assert.equal(judge(window({ sent: 290000, accepted: 290000, dropped: 10000 })).met, false, 'requests left unsent: the stack fell behind');
    assert.equal(judge(window({ accepted: 299000 })).met, false, 'refused requests');
    assert.equal(judge(window({}, { lost: 1 })).met, false, 'a lost event');
    assert.equal(judge(window({ seconds: 12 })).met, false, 'a window shorter than 60 s');
    assert.equal(judge(window({}, { offeredRate: 3000 })).met, false, 'a lower rate');
  });

  it('writes markdown tables and names the pending comparison', () => {
    assert.equal(table(['a', 'b'], [['x', '1']], [false, true]), '| a | b |\n| --- | ---: |\n| x | 1 |');
    const markdown = renderMarkdown(report(), ['sweep.svg']);
    assert.match(markdown, /!\[offered-rate sweep\]\(sweep\.svg\)/);
    assert.match(markdown, /\| 1,500 \| 100 \| 100 \|/);
    assert.match(markdown, /\| 1\.5 → 2\.5 \|/, 'each run shows the load average around it');
    assert.match(markdown, /Pending: RabbitMQ not yet available/);
    assert.match(markdown, /Test CPU, 2 CPUs/);
    assert.doesNotMatch(markdown, /saturation\.svg/, 'only charts that were rendered are linked');
    assert.match(markdown, /Freshness: from the gateway accepting an event to Valkey applying it/);
    assert.match(markdown, /\| 1,500 \| 5,000 \| 42 \| 180 \|/, 'freshness p50 and p99 per offered rate');
    assert.match(markdown, /\| saturation \(64 connections\) \| 5,000 \| 42 \| 180 \|/, 'and at saturation');
    assert.doesNotMatch(markdown, /Where an event's time goes/, 'no traced runs, no section');
  });

  it("says where an event's time goes, per traced run, with its sampling ratio", () => {
    const hops = TIME_SPLIT_HOPS.map((h, i) => ({ ...h, meanMs: i + 1, p50Ms: i + 1, p99Ms: 2 * (i + 1), share: (i + 1) / 15 }));
    const split = { traces: 60, events: 50, hops, total: { meanMs: 15, p50Ms: 14, p99Ms: 40 }, overlapped: 3 };
    const traces = { ratio: 0.1, sampler: 'parentbased_traceidratio', limit: 2000, runs: [{ label: 'traced, 250/s offered', offeredRate: 250, counted: 5000, countedPerSecond: 249, traces: 60, split }] };
    const markdown = renderMarkdown(report({ traces }), []);
    assert.match(markdown, /## Where an event's time goes/);
    assert.match(markdown, /tracing on \(10 % of events, parentbased_traceidratio\)/);
    assert.match(markdown, /### traced, 250\/s offered/);
    assert.match(markdown, /50 events measured of 60 traces read \(the others lacked a hop/);
    assert.match(markdown, /\| in the broker \| the broker acknowledged the send → the consumer's batch began \| 4\.0 \| 4\.0 \| 8\.0 \| 27 % \|/);
    assert.match(markdown, /\| \*\*the event\*\* \| gateway in → Valkey applied \| 15\.0 \| 14\.0 \| 40\.0 \| 100 % \|/);
  });

  it("splits each app's resident memory: executable, files, V8's young generation and the rest of its heap, what lies outside it", () => {
    const memory = { gateway: { rssMiB: 180, executableMiB: 55, otherFilesMiB: 4, anonymousMiB: 121 } };
    const heaps = { gateway: { usedMiB: 40, totalMiB: 76, newSpaceMiB: 32, externalMiB: 3.5 } };
    const text = memorySection(run({ memory, heaps })).join('\n');
    assert.match(text, /\| gateway \| 180 \| 55 \| 4 \| 121 \| 32 \| 44 \| 45 \| 4 \|/);
    assert.deepEqual(memorySection(run()), [], 'no reading, no section');
  });

  it("shows each role's event-loop delay per offered rate, the worst replica's for several", () => {
    const loop = (delayP99Ms: number) => ({ delayP99Ms, delayMaxMs: delayP99Ms * 2, gcMs: 12 });
    const sweep = [run({ offeredRate: 1500, eventLoop: { 'writer-1': loop(4), 'writer-2a': loop(9.25), gateway: loop(31.5) } })];
    const markdown = renderMarkdown(report({ sweep }), []);
    assert.match(markdown, /\| offered\/s \| gateway: delay p99 \/ max ms, GC ms \| writer: delay p99 \/ max ms, GC ms \|/);
    assert.match(markdown, /\| 1,500 \| 31\.5 \/ 63, 12 \| 9\.3 \/ 19, 12 \|/);
    assert.doesNotMatch(renderMarkdown(report(), []), /event loop ran/, 'no table for runs without the measure');
  });

  it('renders its charts to SVG without a browser', async () => {
    const charts = reportCharts(report());
    assert.deepEqual(
      charts.map((c) => c.file),
      ['sweep.svg', 'saturation.svg'],
    );
    const svg = await renderSvg(charts[0].spec);
    assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /offered events\/s/);
  });
});
