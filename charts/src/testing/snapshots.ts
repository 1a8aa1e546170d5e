import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { CHARTS_ROOT, listFiles } from './variants';

/**
 * charts/snapshots stores every distinct synthesized file once, under `files/`, and `index.json` says
 * which stored file each variant's synthesized file is. Most manifests are the same in several
 * variants; stored once, a change to one of them is one file's diff (a rename, its hash changing)
 * instead of the same diff once per variant.
 */
export const SNAPSHOTS = join(CHARTS_ROOT, 'snapshots');
export const INDEX = 'index.json';

/** variant → synthesized file (as synth writes it) → stored file (relative to charts/snapshots). */
export type SnapshotIndex = Record<string, Record<string, string>>;

export interface SnapshotTree {
  readonly index: SnapshotIndex;
  /** Stored file (relative to charts/snapshots) → content. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Where a synthesized file's content is stored: `0005-grafana.k8s.yaml` → `files/grafana.<hash>.yaml`,
 * `helm/grafana-values.yaml` → `files/helm-grafana-values.<hash>.yaml`. cdk8s's ordering prefix is left
 * out: it shifts when a variant has one chart more before it, while the content stays the same.
 */
export function storedName(file: string, content: string): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 8);
  const ext = extname(file);
  const stem = (ext ? file.slice(0, -ext.length) : file).replace(/^\d+-/, '').replace(/\.k8s$/, '').replaceAll('/', '-');
  return `files/${stem}.${hash}${ext}`;
}

const sortedKeys = <T>(record: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));

/** The tree UPDATE_SNAPSHOTS=1 writes for these synthesized variants (variant → file → content). */
export function snapshotTree(variants: Readonly<Record<string, Readonly<Record<string, string>>>>): SnapshotTree {
  const index: SnapshotIndex = {};
  const files: Record<string, string> = {};
  for (const [variant, synthesized] of Object.entries(sortedKeys(variants))) {
    index[variant] = {};
    for (const [file, content] of Object.entries(sortedKeys(synthesized))) {
      const name = storedName(file, content);
      // A short hash: two contents under one name would make one variant's snapshot another's.
      if (files[name] !== undefined && files[name] !== content) throw new Error(`${variant}/${file}: ${name} already stores another content`);
      files[name] = content;
      index[variant][file] = name;
    }
  }
  return { index, files: sortedKeys(files) };
}

/** index.json as written: keys sorted at both levels, so a rewrite of the same index changes nothing. */
export function serializeIndex(index: SnapshotIndex): string {
  const sorted = Object.fromEntries(Object.keys(index).sort().map((variant) => [variant, sortedKeys(index[variant])]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

export interface StoredSnapshots extends SnapshotTree {
  /** index.json as committed, or undefined when there is none. */
  readonly indexText: string | undefined;
}

/** What charts/snapshots holds: its index and every other file in it, wherever it sits. */
export function readSnapshots(dir = SNAPSHOTS): StoredSnapshots {
  if (!existsSync(dir)) return { indexText: undefined, index: {}, files: {} };
  const files: Record<string, string> = {};
  for (const path of listFiles(dir)) files[relative(dir, path)] = readFileSync(path, 'utf8');
  const { [INDEX]: indexText, ...stored } = files;
  return { indexText, index: indexText === undefined ? {} : (JSON.parse(indexText) as SnapshotIndex), files: stored };
}

/** Replaces charts/snapshots with this tree, so a file no variant uses any more goes with it. */
export function writeSnapshots(tree: SnapshotTree, dir = SNAPSHOTS): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(tree.files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  writeFileSync(join(dir, INDEX), serializeIndex(tree.index));
}
