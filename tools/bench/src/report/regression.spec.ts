import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '@oleada/local';
import type { StackRunResult } from '../stack-run';
import { costByRole, roleOf, stackCpuMsPerEvent } from './cost';
import { renderMarkdown } from './markdown';
import { checkTargets } from './targets';
import type { BenchReport } from './model';
import { changeOf, regressionRows } from './regression';

/**
 * A real results.json, in the format older runs left: the one the full `npm run bench` of
 * 2026-11-22 wrote to docs/performance, kept here so that regenerating the report does not move
 * what these tests expect.
 */
function committedResults(): BenchReport {
  return JSON.parse(readFileSync(join(repoRoot(), 'tools/bench/src/report/fixtures/results-2026-11-22.json'), 'utf8')) as BenchReport;
}

/** A copy of a run with some processes' CPU per event scaled and its rate changed. */
function changed(run: StackRunResult, cost: Record<string, number>, rate: number): StackRunResult {
  return {
    ...run,
    endToEndRate: run.endToEndRate * rate,
    processes: run.processes.map((p) => (p.name in cost ? { ...p, cpuMsPerEvent: (p.cpuMsPerEvent ?? 0) * cost[p.name] } : p)),
  };
}

describe('cost per event and the regression table', () => {
  it('sums the stack without the load generator, and the writers as one role', () => {
    const run = committedResults().sustained!;
    const byName = new Map(run.processes.map((p) => [p.name, p.cpuMsPerEvent ?? 0]));
    const roles = costByRole(run.processes);
    assert.deepEqual([...roles.keys()], ['gateway', 'relay', 'writers', 'consumer', 'kafka', 'valkey'], 'the chain order; no load generator');
    assert.equal(roles.get('writers'), byName.get('writer-1')! + byName.get('writer-2a')! + byName.get('writer-2b')!);
    const stack = stackCpuMsPerEvent(run)!;
    const everything = [...byName.values()].reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(stack - (everything - byName.get('load generator')!)) < 1e-12);
    // The figure that report gives (0.68 with the generator, 0.083 of it the generator's).
    assert.ok(stack > 0.55 && stack < 0.65, `stack cost of the 2026-11-22 run: ${stack}`);
    assert.equal(roleOf('consumer-kafka'), 'consumer');
    assert.equal(roleOf('writer-2b'), 'writers');
  });

  it('compares every figure both runs measured, and judges each change by its direction', () => {
    const previous = committedResults();
    const sustained = changed(previous.sustained!, { gateway: 0.5, relay: 1.02, kafka: 1.5 }, 1.3);
    const current = { sustained, sustainedOffered: undefined, profileRun: undefined, sweep: previous.sweep.slice(0, 2), bare: undefined };
    const rows = regressionRows(previous, current);
    const row = (figure: string) => {
      const found = rows.find((r) => r.figure === figure);
      assert.ok(found, `row ${figure} in ${rows.map((r) => r.figure).join(' | ')}`);
      return found;
    };
    const rate = row('saturation: counted events/s');
    assert.equal(rate.previous, previous.sustained!.endToEndRate);
    assert.match(changeOf(rate), /^\+30\.0 % \*\*better\*\*$/);
    assert.match(changeOf(row('saturation: CPU-ms per event, gateway')), /^−50\.0 % \*\*better\*\*$/);
    assert.match(changeOf(row('saturation: CPU-ms per event, kafka')), /^\+50\.0 % \*\*worse\*\*$/);
    assert.match(changeOf(row('saturation: CPU-ms per event, relay')), /^\+2\.0 % ≈$/, 'a change within the noise is not judged');
    assert.match(changeOf(row('250/s offered: p99 ms')), /^±0\.0 % ≈$/);
    assert.ok(!rows.some((r) => r.figure.startsWith('1,000/s') || r.figure.startsWith('1000/s')), 'steps only one run measured are left out');
    assert.ok(!rows.some((r) => r.figure.startsWith('sustained 3000/s')), 'runs only one report has are left out');
  });

  it('judges the cost per event at saturation against 0.35 CPU-ms', () => {
    const previous = committedResults();
    const judge = (sustained: StackRunResult) => checkTargets({ sweep: [], sustained, sustainedOffered: undefined, writers: [], brokers: [], quick: false }).find((t) => t.target.includes('CPU-ms per counted event'));
    const now = judge(previous.sustained!);
    assert.equal(now?.met, false, 'the 2026-11-22 run (≈0.59 ms) misses it');
    assert.match(now!.measured, /^0\.59\d CPU-ms per event at 2,403 counted events\/s \(gateway 0\.195, relay 0\.103, writers 0\.16\d, consumer 0\.043, kafka 0\.069, valkey 0\.021\)$/);
    const half = changed(previous.sustained!, { gateway: 0.3, relay: 0.3, 'writer-1': 0.5, 'writer-2a': 0.5, 'writer-2b': 0.5, kafka: 0.5 }, 2);
    assert.equal(judge(half)?.met, true, `${stackCpuMsPerEvent(half)} ms per event meets it`);
    assert.equal(judge({ ...half, lost: 1 })?.met, false, 'not with a lost event');
    assert.equal(checkTargets({ sweep: [], sustained: undefined, writers: [], brokers: [], quick: true }).find((t) => t.target.includes('CPU-ms'))?.met, undefined);
  });

  it('puts the cost table, the comparison and the flame graphs in the report', () => {
    const previous = committedResults();
    const report: BenchReport = {
      ...previous,
      profile: [{ ...previous.profile[0], flameGraph: 'flame-consumer.svg', widest: [{ name: 'handle libs/consumer/dist/aggregator.js:37', share: 0.25 }] }],
      baseline: { generatedAt: previous.generatedAt, command: previous.command, loadAverageBefore: previous.loadAverage.before },
      regression: regressionRows(previous, { ...previous, sustained: changed(previous.sustained!, { gateway: 0.5 }, 2) }),
    };
    const markdown = renderMarkdown(report, ['flame-consumer.svg']);
    assert.match(markdown, /## Cost per event/);
    const stack = stackCpuMsPerEvent(previous.sustained!)!;
    const saturationRow = markdown.split('\n').find((line) => line.startsWith('| saturation: '));
    assert.ok(saturationRow, 'the saturation run has a cost row');
    assert.ok(saturationRow.includes(`**${stack.toFixed(3)}**`), `stack total ${stack.toFixed(3)} in ${saturationRow}`);
    assert.match(markdown, /## Against the previous run/);
    assert.match(markdown, /\| saturation: counted events\/s \| 2,403 \| 4,806 \| \+100\.0 % \*\*better\*\* \|/);
    assert.match(markdown, /!\[flame graph of consumer\]\(flame-consumer\.svg\)/);
    assert.match(markdown, /Widest: `handle libs\/consumer\/dist\/aggregator\.js:37` 25\.0 %/);
    assert.doesNotMatch(renderMarkdown(report, []), /flame graph of consumer/, 'a flame graph not drawn is not linked');
  });
});
