import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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

export const RESULTS_BEGIN = '<!-- reliability-results:begin (written by tools/faults; do not edit by hand) -->';
export const RESULTS_END = '<!-- reliability-results:end -->';

const cell = (value: string | number) => String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The measured tables as Markdown. */
export function renderResults(results: Results): string {
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
    '',
    '| attack | expected | observed | result |',
    '|---|---|---|---|',
    ...attacks.map((r) => `| ${[r.attack, r.expected, r.observed, r.passed ? 'pass' : '**FAIL**'].map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Replaces the text between the markers of `doc` (or appends a marked section) with `tables`. */
export function spliceResults(doc: string, tables: string): string {
  const block = `${RESULTS_BEGIN}\n${tables}\n${RESULTS_END}`;
  const begin = doc.indexOf(RESULTS_BEGIN);
  const end = doc.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) return `${doc.trimEnd()}\n\n## Measured\n\n${block}\n`;
  return `${doc.slice(0, begin)}${block}${doc.slice(end + RESULTS_END.length)}`;
}

/**
 * The results of one run: kept as JSON, and after every new row rendered into the Markdown
 * document, so the document always shows what the last run measured, failures included.
 */
export class ResultsBook {
  private readonly results: Results;

  constructor(
    private readonly jsonFile: string,
    private readonly docFile: string,
    environment: string,
  ) {
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

  private flush(): void {
    this.results.updatedAt = new Date().toISOString();
    mkdirSync(dirname(this.jsonFile), { recursive: true });
    writeFileSync(this.jsonFile, `${JSON.stringify(this.results, null, 2)}\n`);
    const doc = existsSync(this.docFile) ? readFileSync(this.docFile, 'utf8') : '# Reliability\n';
    writeFileSync(this.docFile, spliceResults(doc, renderResults(this.results)));
  }
}
