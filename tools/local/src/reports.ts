import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cacheDir, repoRoot } from './infra/paths';

/**
 * Where a run puts its report. A run never rewrites committed files on its own (a fresh clone
 * stays clean, and images built from it carry the clean commit's tag): the report goes to the
 * directory asked for (`--out`, or OLEADA_REPORT_DIR where a command takes no flags), else to
 * `.cache/reports/<name>/`. The committed copy under `docs/` is refreshed as well only when asked
 * (`--write-docs`, or OLEADA_WRITE_DOCS=1).
 */
export interface ReportPlace {
  /** This run's report directory. */
  readonly dir: string;
  /** The committed report's directory (under docs/). */
  readonly docsDir: string;
  /** Whether the committed report is refreshed too: asked for, or `--out` naming it. */
  readonly writeDocs: boolean;
}

export interface ReportPlaceOptions {
  /** `--out`; OLEADA_REPORT_DIR when not given; relative paths from the repository root. */
  readonly out?: string;
  /** `--write-docs`; OLEADA_WRITE_DOCS=1 when not given. */
  readonly writeDocs?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** True when OLEADA_WRITE_DOCS asks for the committed docs to be refreshed. */
export function writeDocsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.OLEADA_WRITE_DOCS;
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`OLEADA_WRITE_DOCS=${value} is invalid: use 1 (refresh the committed docs) or 0`);
}

/** The report place of the run called `name`, whose committed report lives in `docsDir` (from the root). */
export function reportPlace(name: string, docsDir: string, options: ReportPlaceOptions = {}): ReportPlace {
  const env = options.env ?? process.env;
  const out = options.out ?? (env.OLEADA_REPORT_DIR || undefined);
  const docs = resolve(repoRoot(), docsDir);
  const dir = out ? resolve(repoRoot(), out) : join(cacheDir(), 'reports', name);
  const writeDocs = options.writeDocs ?? writeDocsFromEnv(env);
  return { dir, docsDir: docs, writeDocs: writeDocs || dir === docs };
}

/** Writes `file` (a name inside the report) to the report directory and, when asked, to the docs; returns the paths written. */
export function writeReportFile(place: ReportPlace, file: string, content: string | Uint8Array): string[] {
  const dirs = new Set(place.writeDocs ? [place.dir, place.docsDir] : [place.dir]);
  return [...dirs].map((dir) => {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  });
}
