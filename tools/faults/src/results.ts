import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeReportFile, type ReportPlace } from '@oleada/local';

/** One fault the suite caused, and what the pipeline made of the events sent through it. */
export interface FaultRow {
  /** Stable key; also the display order (rows sort by it). */
  readonly id: string;
  /** What was broken, and how. */
  readonly fault: string;
  /** Unique events sent (each with its own Idempotency-Key). */
  readonly sent: number;
  /** Unique event ids answered 202. */
  readonly accepted: number;
  /** Increase of the scenario's total counter in Valkey. */
  readonly counted: number;
  /** accepted − counted. */
  readonly lost: number;
  /** counted − accepted. */
  readonly duplicated: number;
  /** HTTP requests, retries included. */
  readonly requests: number;
  readonly status503: number;
  /** Other 5xx answers (500, 502, 504 …). */
  readonly otherServerErrors: number;
  /** Measured, not asserted: latency, memory, recovery time, duplicates absorbed… */
  readonly notes: string;
  readonly passed: boolean;
}

/** One attack on the gateway or Valkey and how it was answered. */
export interface AttackRow {
  readonly id: string;
  readonly attack: string;
  readonly expected: string;
  readonly observed: string;
  readonly passed: boolean;
}

export interface Results {
  startedAt: string;
  updatedAt: string;
  environment: string;
  faults: Record<string, FaultRow>;
  attacks: Record<string, AttackRow>;
}

/** The committed document's name, in the report place's docsDir (docs/). */
const DOC = 'reliability.md';

export const RESULTS_BEGIN = '<!-- reliability-results:begin (written by tools/faults; do not edit by hand) -->';
export const RESULTS_END = '<!-- reliability-results:end -->';

/** Where in reliability.md a suite's tables go: between its markers, under its heading. */
export interface ResultsSection {
  readonly begin: string;
  readonly end: string;
  /** The heading a new section is appended under when the page has none of its markers. */
  readonly heading: string;
  /** Name of the run's JSON in the report directory. */
  readonly json: string;
}

/** The local fault suite's tables (npm run test:faults). */
export const LOCAL_RESULTS: ResultsSection = { begin: RESULTS_BEGIN, end: RESULTS_END, heading: '## Measured', json: 'results.json' };

const cell = (value: string | number) => String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The measured tables as Markdown (the attack table only when the suite has attacks or `withAttacks`). */
export function renderResults(results: Results, withAttacks = true): string {
  const faults = Object.values(results.faults).sort((a, b) => a.id.localeCompare(b.id));
  const attacks = Object.values(results.attacks).sort((a, b) => a.id.localeCompare(b.id));
  const lines = [
    `Last run: ${results.startedAt} – ${results.updatedAt}, ${results.environment}.`,
    '',
    '| fault | sent | accepted | counted | lost | duplicated | requests | 503 | other 5xx | measured | result |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...faults.map(
      (r) =>
        `| ${[r.fault, r.sent, r.accepted, r.counted, r.lost, r.duplicated, r.requests, r.status503, r.otherServerErrors, r.notes, r.passed ? 'pass' : '**FAIL**'].map(cell).join(' | ')} |`,
    ),
  ];
  if (withAttacks || attacks.length > 0) {
    lines.push(
      '',
      '| attack | expected | observed | result |',
      '|---|---|---|---|',
      ...attacks.map((r) => `| ${[r.attack, r.expected, r.observed, r.passed ? 'pass' : '**FAIL**'].map(cell).join(' | ')} |`),
    );
  }
  return lines.join('\n');
}

/** Replaces the text between the section's markers in `doc` (or appends a marked section) with `tables`. */
export function spliceResults(doc: string, tables: string, section: ResultsSection = LOCAL_RESULTS): string {
  const block = `${section.begin}\n${tables}\n${section.end}`;
  const begin = doc.indexOf(section.begin);
  const end = doc.indexOf(section.end);
  if (begin < 0 || end < begin) return `${doc.trimEnd()}\n\n${section.heading}\n\n${block}\n`;
  return `${doc.slice(0, begin)}${block}${doc.slice(end + section.end.length)}`;
}

/** Rows of the section's measured tables in `doc` (faults and attacks together). */
export function countResultRows(doc: string, section: ResultsSection = LOCAL_RESULTS): number {
  const begin = doc.indexOf(section.begin);
  const end = doc.indexOf(section.end);
  if (begin < 0 || end < begin) return 0;
  return (doc.slice(begin, end).match(/\| (?:pass|\*\*FAIL\*\*) \|$/gm) ?? []).length;
}

/** The node:test flags that run only some tests (in the test process's execArgv), or undefined. */
export function testFilter(execArgv: readonly string[] = process.execArgv): string | undefined {
  return execArgv.find((arg) => /^--test-(?:name-pattern|skip-pattern|only|shard)(?:=|$)/.test(arg));
}

/**
 * The results of one run: kept as JSON, and after every new row rendered into the report's copy
 * of the document (`<report dir>/reliability.md`), so it always shows what the run measured so
 * far, failures included. The committed document changes only through `publish`, when asked for
 * (OLEADA_WRITE_DOCS=1) and only from a whole run.
 */
export class ResultsBook {
  private readonly results: Results;

  /** @param place where the report goes (tools/local's reportPlace); its docsDir holds the committed reliability.md */
  constructor(
    private readonly place: ReportPlace,
    environment: string,
    private readonly section: ResultsSection = LOCAL_RESULTS,
  ) {
    // Rewritten after every row, the committed page would show a partial table while the run lasts.
    if (place.dir === place.docsDir) throw new Error(`the fault report cannot go to ${place.docsDir} itself: OLEADA_WRITE_DOCS=1 refreshes the page there after a whole run`);
    const now = new Date().toISOString();
    this.results = { startedAt: now, updatedAt: now, environment, faults: {}, attacks: {} };
  }

  fault(row: FaultRow): void {
    this.results.faults[row.id] = row;
    this.flush();
  }

  attack(row: AttackRow): void {
    this.results.attacks[row.id] = row;
    this.flush();
  }

  get current(): Readonly<Results> {
    return this.results;
  }

  /** The report's document: the committed one with this run's tables. */
  get reportFile(): string {
    return join(this.place.dir, DOC);
  }

  /** The committed document. */
  get docFile(): string {
    return join(this.place.docsDir, DOC);
  }

  /** Why the committed document must not take this run's tables, or undefined when it may. */
  partialBecause(filter = testFilter()): string | undefined {
    if (filter) return `the run was filtered (${filter})`;
    const committed = countResultRows(this.committed(), this.section);
    const rows = Object.keys(this.results.faults).length + Object.keys(this.results.attacks).length;
    if (rows < committed) return `it has ${rows} rows where the committed tables have ${committed}`;
    return undefined;
  }

  /** Throws when the committed document is asked for but this run is filtered (checked before the run starts). */
  checkPublishable(filter = testFilter()): void {
    if (this.place.writeDocs && filter) throw new Error(`OLEADA_WRITE_DOCS=1 refreshes ${this.docFile} from a whole run only: this one is filtered (${filter})`);
  }

  /**
   * Refreshes the committed document when asked for (OLEADA_WRITE_DOCS=1); throws, writing
   * nothing, when the run was partial: a filtered run would leave the page with only its rows.
   */
  publish(filter = testFilter()): string | undefined {
    if (!this.place.writeDocs) return undefined;
    const partial = this.partialBecause(filter);
    if (partial) throw new Error(`not rewriting ${this.docFile}: ${partial}; this run's tables are in ${this.reportFile}`);
    writeFileSync(this.docFile, this.render());
    return this.docFile;
  }

  private committed(): string {
    return existsSync(this.docFile) ? readFileSync(this.docFile, 'utf8') : '# Reliability\n';
  }

  private render(): string {
    return spliceResults(this.committed(), renderResults(this.results, this.section === LOCAL_RESULTS), this.section);
  }

  private flush(): void {
    this.results.updatedAt = new Date().toISOString();
    const report = { ...this.place, writeDocs: false };
    writeReportFile(report, this.section.json, `${JSON.stringify(this.results, null, 2)}\n`);
    writeReportFile(report, DOC, this.render());
  }
}
