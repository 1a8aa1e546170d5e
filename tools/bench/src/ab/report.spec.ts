import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abSection } from './report';
import { abFigures, abLevels, AB_METHOD, type AbResult, type AbRound } from './run';

/** A round whose figures are `scale` times a base round's, with a little wobble by round. */
function round(side: 'A' | 'B', n: number, scale: number): AbRound {
  const wobble = 1 + ((n * 7) % 5) / 500;
  return {
    side,
    round: n,
    cpuMsPerEvent: 0.5 * scale * wobble,
    cpuMsPerEventByRole: { gateway: 0.1 * scale * wobble, kafka: 0.2 * wobble },
    countedPerSecond: 1000 * wobble,
    p50Ms: 3 * wobble,
    p99Ms: 20 * wobble,
    accepted: 15_000,
    notOffered: side === 'B' && n === 2 ? 3 : 0,
    lost: 0,
    duplicates: 0,
    loadAverage: 1,
    startedAt: 1_764_900_000_000 + n * 60_000 + (side === 'B' ? 30_000 : 0),
    endedAt: 1_764_900_015_000 + n * 60_000 + (side === 'B' ? 30_000 : 0),
    appRssPeakMiB: (side === 'B' ? 150 : 170) * wobble,
    freshnessP50Ms: 40 * wobble,
    freshnessP99Ms: 90 * wobble,
  };
}

describe('the A/B report', () => {
  const rounds = [1, 2, 3, 4, 5].flatMap((n) => [round('A', n, 1), round('B', n, 1.1)]);
  const figures = abFigures(rounds, 1);

  it('compares the stack, each role, the rate and the latency; only the changed ones get a verdict', () => {
    const verdict = (name: string) => figures.find((f) => f.figure === name)?.verdict;
    assert.deepEqual(
      figures.map((f) => f.figure),
      ['stack CPU per counted event', 'gateway CPU per counted event', 'kafka CPU per counted event', 'counted events/s', 'latency p50', 'latency p99', 'freshness p50', 'freshness p99', "largest app's RSS peak"],
    );
    assert.equal(verdict('stack CPU per counted event'), 'B worse');
    assert.equal(verdict('gateway CPU per counted event'), 'B worse');
    assert.equal(verdict('kafka CPU per counted event'), 'no difference');
    assert.equal(verdict('counted events/s'), 'no difference');
    assert.equal(verdict("largest app's RSS peak"), 'B better');
  });

  it('renders the medians, interval and verdict per figure, every round, and the rounds that are not comparable', () => {
    const result: AbResult = {
      a: { label: 'this tree', ref: '/repo' },
      b: { label: 'this tree + 30 µs planted per request', ref: '/repo', env: { OLEADA_PLANTED_CPU_US: '30' } },
      load: { kind: 'rate', rate: 1000 },
      seconds: 15,
      roundsPerSide: 5,
      order: 'AB BA AB BA AB',
      method: AB_METHOD,
      seed: 1,
      rounds,
      figures,
      problems: ['B round 2: lost=0 duplicates=0 not offered=3'],
    };
    const text = abSection(result).join('\n');
    assert.match(text, /## A\/B comparison/);
    assert.match(text, /OLEADA_PLANTED_CPU_US=30/);
    assert.match(text, /\| stack CPU per counted event \(CPU-ms\) \| 0\.50\d \| 0\.55\d \| \+10\.0 % \| .* \| \*\*B worse\*\* \|/);
    assert.match(text, /\| counted events\/s \(events\/s\) .* \| no difference \|/);
    assert.match(text, /B round 2: lost=0 duplicates=0 not offered=3/);
    assert.equal(text.split('\n').filter((l) => /^\| [AB] \| \d \|/.test(l)).length, 10);
    assert.match(text, /then 1000 events\/s offered open loop for 15 s/);
    assert.doesNotMatch(text, /Tracing:/);
  });

  it('at saturation with B traced: says so, and what the trace store got from each round', () => {
    const traced = rounds.map((r) => ({ ...r, traceStoreCpuMsPerEvent: r.side === 'A' ? 0.001 : 0.05 }));
    const result: AbResult = {
      a: { label: 'this tree, tracing off', ref: '/repo', env: { OTEL_SDK_DISABLED: 'true' } },
      b: { label: 'this tree + tracing 1 %', ref: '/repo', env: { OTEL_TRACES_SAMPLER_ARG: '0.01' } },
      load: { kind: 'saturation', connections: 64 },
      seconds: 15,
      roundsPerSide: 5,
      order: 'AB BA AB BA AB',
      method: AB_METHOD,
      seed: 1,
      rounds: traced,
      figures: abFigures(traced, 1),
      problems: [],
      tracing: {
        ratio: 0.01,
        sampler: 'parentbased_traceidratio',
        store: 'Jaeger',
        limit: 1000,
        rounds: traced.map((r) => ({ side: r.side, round: r.round, traces: r.side === 'A' ? 0 : 150, capped: false, services: r.side === 'A' ? [] : ['oleada-gateway', 'oleada-relay'] })),
      },
    };
    const text = abSection(result).join('\n');
    assert.match(text, /then saturation \(64 connections, closed loop\) for 15 s/);
    assert.match(text, /B's apps sampled 1 % of events \(parentbased_traceidratio\)/);
    assert.match(text, /in A's rounds 0\.001, 0\.001, 0\.001, 0\.001, 0\.001, in B's 0\.050/);
    assert.match(text, /\| A \| 1 \| 15000 \| 0 \| — \|/);
    assert.match(text, /\| B \| 1 \| 15000 \| 150 \| oleada-gateway, oleada-relay \|/);
    assert.ok(!text.includes('trace store CPU per counted event'), "the store's CPU is not one of the compared figures");
  });

  it('rounds on two throughput levels: the CPU of each level compared apart, a level one side barely reached said to be so', () => {
    // The levels of ab26 (2026-12-05): A landed high 6 times of 8, B low 7 times; within the low level B costs ~7 % more.
    const at = (side: 'A' | 'B', n: number, counted: number, cpu: number): AbRound => ({ ...round(side, n, 1), countedPerSecond: counted, cpuMsPerEvent: cpu });
    const mixed = [
      at('A', 1, 3410, 0.394), at('A', 2, 3415, 0.396), at('A', 3, 3020, 0.41), at('A', 4, 3016, 0.412), at('A', 5, 3408, 0.39),
      at('B', 1, 3030, 0.44), at('B', 2, 3035, 0.438), at('B', 3, 3028, 0.445), at('B', 4, 3040, 0.442), at('B', 5, 3382, 0.412),
    ];
    const levels = abLevels(mixed, 1);
    assert.deepEqual(levels.map((l) => [Math.round(l.countedPerSecond), l.roundsA, l.roundsB]), [[3029, 2, 4], [3409, 3, 1]]);
    assert.equal(levels[0].cpu?.verdict, 'B worse');
    assert.ok(Math.abs((levels[0].cpu?.relativeDifference ?? 0) - (0.441 / 0.411 - 1)) < 1e-9);
    assert.equal(levels[1].cpu, undefined, 'one round of B on the upper level: nothing to compare');
    const text = abSection({ ...base(mixed), levels }).join('\n');
    assert.match(text, /fell on 2 levels \(3,029 \/ 3,409 events\/s/);
    assert.match(text, /\| 3,029 \| 2 \| 4 \| 0\.411 \| 0\.441 \| \+7\.3 % \|/);
    assert.match(text, /\| 3,409 \| 3 \| 1 \| — \| — \| — \| fewer than 2 rounds of a side \| — \|/);
    const one = abLevels(rounds, 1);
    assert.equal(one.length, 1, 'rounds within 6 % of each other are one level');
    assert.ok(!abSection({ ...base(rounds), levels: one }).join('\n').includes('Levels:'), 'one level: no levels note');
  });
});

/** An A/B result around `rounds`, at saturation. */
function base(rounds: readonly AbRound[]): AbResult {
  return { a: { label: 'A', ref: 'a' }, b: { label: 'B', ref: 'b' }, load: { kind: 'saturation', connections: 64 }, seconds: 15, roundsPerSide: 5, order: 'AB BA AB BA AB', method: AB_METHOD, seed: 1, rounds, figures: abFigures(rounds, 1), problems: [] };
}
