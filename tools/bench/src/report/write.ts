import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeReportFile, type ReportPlace } from '@oleada/local';
import { abSection } from '../ab/report';
import { reportCharts, renderSvg } from './charts';
import { renderMarkdown } from './markdown';
import type { BenchReport } from './model';

/** The committed report (from the repository root), refreshed only by `--write-docs`. */
export const BENCH_DOCS = 'docs/performance';

/**
 * Refuses `--write-docs` for a partial run: the committed report is a full run's, and a quick or
 * `--only` run would replace it with fewer sections and shorter steps (issue #27).
 */
export function checkWriteDocs(place: ReportPlace, run: { readonly quick: boolean; readonly only?: string }): void {
  if (!place.writeDocs) return;
  if (run.quick || run.only) {
    throw new Error(`--write-docs refreshes ${BENCH_DOCS} from a full run only: drop ${run.quick ? '--quick' : '--only'} (or write this run's report with --out <dir>)`);
  }
}

/**
 * The results.json this run is compared with: `--baseline`; with --write-docs the committed one it
 * replaces; else the previous run's in the report directory, or the committed one when there is none.
 */
export function baselineFile(place: ReportPlace, explicit?: string): string {
  if (explicit) return resolve(explicit);
  const committed = join(place.docsDir, 'results.json');
  const previous = join(place.dir, 'results.json');
  return place.writeDocs || !existsSync(previous) ? committed : previous;
}

/** Writes the report (README.md, charts with their Vega-Lite specs, results.json); returns the README.md files written. */
export async function writeBenchReport(report: BenchReport, place: ReportPlace, flameGraphs: ReadonlyMap<string, string>): Promise<string[]> {
  const charts: string[] = [];
  for (const [file, svg] of flameGraphs) {
    writeReportFile(place, file, svg);
    charts.push(file);
  }
  for (const { file, spec } of reportCharts(report)) {
    writeReportFile(place, file, await renderSvg(spec));
    writeReportFile(place, file.replace(/\.svg$/, '.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
    charts.push(file);
  }
  // The A/B result also alone, for a reader who ran only it.
  if (report.ab) {
    writeReportFile(place, 'ab.json', `${JSON.stringify(report.ab, null, 2)}\n`);
    writeReportFile(place, 'ab.md', ['# Oleada A/B bench', '', `Written by \`${report.command}\` on ${report.generatedAt}.`, '', ...abSection(report.ab).slice(2)].join('\n'));
  }
  writeReportFile(place, 'results.json', `${JSON.stringify(report, null, 2)}\n`);
  return writeReportFile(place, 'README.md', renderMarkdown(report, charts));
}
