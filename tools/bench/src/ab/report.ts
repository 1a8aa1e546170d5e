import { formatNumber, table } from '../report/format';
import { ratioText } from '../trace/store';
import { abLoadText, type AbLevel, type AbResult, type AbTracing } from './run';
import type { FigureComparison, Spread } from './stats';

/** A relative difference as a signed percentage. */
const signedPercent = (value: number) => `${value >= 0 ? '+' : '−'}${formatNumber(Math.abs(value) * 100, 1)} %`;
/** Digits that show a figure's differences: CPU-ms per event needs three decimals, events/s none. */
const digitsOf = (f: FigureComparison) => (f.unit === 'CPU-ms' ? 3 : f.unit === 'ms' ? 1 : 0);
const spreadText = (s: Spread, digits: number) => `${formatNumber(s.min, digits)}–${formatNumber(s.max, digits)} (IQR ${formatNumber(s.relativeIqr * 100, 0)} %)`;

/** The A/B section of the bench report (also written alone as ab.md). */
export function abSection(ab: AbResult): string[] {
  const perSide = (side: 'A' | 'B') => ab.rounds.filter((r) => r.side === side).length;
  const out = [
    '## A/B comparison',
    '',
    `A: ${ab.a.label} (${ab.a.ref}); B: ${ab.b.label} (${ab.b.ref})${ab.b.env && Object.keys(ab.b.env).length ? `, B's apps with ${Object.entries(ab.b.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}. ` +
      `${perSide('A')} rounds of A and ${perSide('B')} of B in ABBA blocks (${ab.order}), each a fresh stack on the same Kafka and Valkey, warmed up, then ${abLoadText(ab.load)} for ${ab.seconds} s. ` +
      `Statistics: ${ab.method} (seed ${ab.seed}). CPU per counted event is the primary figure: the rates and latencies move with whatever else the machine runs.`,
    '',
    table(
      ['figure', 'median A', 'median B', 'B vs A', '95 % interval', 'spread A (min–max)', 'spread B (min–max)', 'verdict'],
      ab.figures.map((f) => {
        const digits = digitsOf(f);
        return [`${f.figure} (${f.unit})`, formatNumber(f.medianA, digits), formatNumber(f.medianB, digits), signedPercent(f.relativeDifference), `${signedPercent(f.interval.low)} … ${signedPercent(f.interval.high)}`, spreadText(f.spreadA, digits), spreadText(f.spreadB, digits), f.verdict === 'no difference' ? f.verdict : `**${f.verdict}**`];
      }),
      [false, true, true, true, false, false, false, false],
    ),
    '',
  ];
  if (ab.levels && ab.levels.length > 1) out.push(...levelsNote(ab.levels), '');
  if (ab.tracing) out.push(...tracingNote(ab.tracing, ab), '');
  if (ab.problems.length) out.push(`Rounds that lost or duplicated events or could not offer the whole rate (a lower rate compares better): ${ab.problems.join('; ')}.`, '');
  out.push(
    'Rounds:',
    '',
    table(
      ['side', 'round', 'CPU-ms per event', 'counted/s', 'p50 ms', 'p99 ms', 'accepted', 'not offered', 'lost', 'duplicates', 'load average'],
      ab.rounds.map((r) => [r.side, String(r.round), formatNumber(r.cpuMsPerEvent, 3), formatNumber(r.countedPerSecond, 0), formatNumber(r.p50Ms, 1), formatNumber(r.p99Ms, 1), String(r.accepted), String(r.notOffered), String(r.lost), String(r.duplicates), formatNumber(r.loadAverage, 2)]),
      [false, true, true, true, true, true, true, true, true, true, true],
    ),
    '',
  );
  return out;
}

/** The throughput levels the rounds landed on, and the CPU per event compared within each. */
function levelsNote(levels: readonly AbLevel[]): string[] {
  return [
    `Levels: the rounds' counted/s fell on ${levels.length} levels (${levels.map((l) => formatNumber(l.countedPerSecond, 0)).join(' / ')} events/s; a new level where a round is over 6 % above the next lower one). ` +
      'A round on a lower level can cost more CPU per event for that alone (its fixed costs shared by fewer events), so a side that lands low more often looks dearer in the figures above. Compared within each level:',
    '',
    table(
      ['level (counted/s)', 'rounds of A', 'rounds of B', 'stack CPU-ms per event, A', 'B', 'B vs A', '95 % interval', 'verdict'],
      levels.map((l) => {
        const f = l.cpu;
        return [formatNumber(l.countedPerSecond, 0), String(l.roundsA), String(l.roundsB), f ? formatNumber(f.medianA, 3) : '—', f ? formatNumber(f.medianB, 3) : '—', f ? signedPercent(f.relativeDifference) : '—', f ? `${signedPercent(f.interval.low)} … ${signedPercent(f.interval.high)}` : 'fewer than 2 rounds of a side', f ? (f.verdict === 'no difference' ? f.verdict : `**${f.verdict}**`) : '—'];
      }),
      [true, true, true, true, true, true, false, false],
    ),
  ];
}

/** What the trace store got from each side: A none, B about its ratio of the events, from every app. */
function tracingNote(tracing: AbTracing, ab: AbResult): string[] {
  const storeCpu = (side: 'A' | 'B') => ab.rounds.filter((r) => r.side === side && r.traceStoreCpuMsPerEvent !== undefined).map((r) => formatNumber(r.traceStoreCpuMsPerEvent ?? 0, 3));
  return [
    `Tracing: B's apps sampled ${ratioText(tracing.ratio)} of events (${tracing.sampler}) and exported them to ${tracing.store}; A's had tracing off (OTEL_SDK_DISABLED=true). ` +
      `The store's own CPU is measured beside the stack, not in its figures: CPU-ms per counted event in A's rounds ${storeCpu('A').join(', ') || '—'}, in B's ${storeCpu('B').join(', ') || '—'}.`,
    '',
    table(
      ['side', 'round', 'accepted events', `traces begun in the round (at most ${tracing.limit} counted)`, 'apps with spans'],
      tracing.rounds.map((t) => {
        const counted = ab.rounds.find((r) => r.side === t.side && r.round === t.round)?.accepted ?? 0;
        return [t.side, String(t.round), String(counted), `${t.traces}${t.capped ? '+' : ''}`, t.services.join(', ') || '—'];
      }),
      [false, true, true, true, false],
    ),
  ];
}
