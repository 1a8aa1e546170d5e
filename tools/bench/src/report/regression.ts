import type { StackRunResult } from '../stack-run';
import { costByRole, stackCpuMsPerEvent } from './cost';
import type { RegressionRow } from './baseline';
import type { BenchReport } from './model';

/**
 * A change smaller than this share is within what two runs on the same commit differ by on a
 * shared machine, and is not called better or worse.
 */
export const NOISE_SHARE = 0.05;

/** The runs both reports made under the same name, each with the figures a change shows in. */
function runFigures(label: string, run: StackRunResult, withRate: boolean): Array<Omit<RegressionRow, 'previous' | 'current'> & { value: number | undefined }> {
  const rows: Array<Omit<RegressionRow, 'previous' | 'current'> & { value: number | undefined }> = [];
  if (withRate) rows.push({ figure: `${label}: counted events/s`, value: run.endToEndRate, better: 'higher', digits: 0 });
  rows.push({ figure: `${label}: p99 ms`, value: run.load.latency.p99, better: 'lower', digits: 1 });
  rows.push({ figure: `${label}: CPU-ms per event, apps + broker + Valkey`, value: stackCpuMsPerEvent(run), better: 'lower', digits: 3 });
  for (const [role, cost] of costByRole(run.processes)) rows.push({ figure: `${label}: CPU-ms per event, ${role}`, value: cost, better: 'lower', digits: 3 });
  return rows;
}

function figuresOf(report: Pick<BenchReport, 'sustained' | 'sustainedOffered' | 'profileRun' | 'sweep' | 'bare' | 'direct'>) {
  const rows: Array<Omit<RegressionRow, 'previous' | 'current'> & { value: number | undefined }> = [];
  if (report.sustained) rows.push(...runFigures('saturation', report.sustained, true));
  if (report.sustainedOffered) rows.push(...runFigures(`sustained ${report.sustainedOffered.offeredRate ?? '?'}/s offered`, report.sustainedOffered, true));
  if (report.profileRun) rows.push(...runFigures('profiled saturation', report.profileRun, true));
  for (const run of report.direct ?? []) rows.push(...runFigures(`direct (${run.label})`, run, true));
  for (const step of report.sweep) {
    rows.push({ figure: `${step.offeredRate}/s offered: p99 ms`, value: step.load.latency.p99, better: 'lower', digits: 1 });
    rows.push({ figure: `${step.offeredRate}/s offered: CPU-ms per event, apps + broker + Valkey`, value: stackCpuMsPerEvent(step), better: 'lower', digits: 3 });
  }
  if (report.bare) rows.push({ figure: 'bare Node HTTP server: requests/s (the machine, not Oleada)', value: report.bare.requestsPerSecond, better: 'higher', digits: 0 });
  return rows;
}

/** Every figure both reports measured, this run's beside the previous one's. Older results.json files lack some figures; those rows are left out. */
export function regressionRows(
  previous: Pick<BenchReport, 'sustained' | 'sustainedOffered' | 'profileRun' | 'sweep' | 'bare' | 'direct'>,
  current: Pick<BenchReport, 'sustained' | 'sustainedOffered' | 'profileRun' | 'sweep' | 'bare' | 'direct'>,
): RegressionRow[] {
  const before = new Map(figuresOf(previous).map((r) => [r.figure, r.value]));
  return figuresOf(current).flatMap(({ value, ...row }) => {
    const old = before.get(row.figure);
    return value !== undefined && old !== undefined && Number.isFinite(value) && Number.isFinite(old) ? [{ ...row, previous: old, current: value }] : [];
  });
}

/** `+12.3 %, better` (or worse, or ≈ within the noise). */
export function changeOf(row: RegressionRow): string {
  if (row.previous === 0) return '—';
  const change = (row.current - row.previous) / row.previous;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  const text = `${sign}${Math.abs(change * 100).toFixed(1)} %`;
  if (Math.abs(change) < NOISE_SHARE) return `${text} ≈`;
  const improved = row.better === 'higher' ? change > 0 : change < 0;
  return `${text} ${improved ? '**better**' : '**worse**'}`;
}
