import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './variants';

/** One row of the configuration table in docs/architecture.md. */
export interface DocumentedVariable {
  readonly name: string;
  /** Apps that read it (`gateway`, `relay`, `writer`, `consumer`). */
  readonly apps: readonly string[];
  /** `yes`, `no`, or `with kafka` / `with rabbitmq` (required with that broker). */
  readonly required: string;
}

const ALL_APPS = ['gateway', 'relay', 'writer', 'consumer'];

/** The variables docs/architecture.md documents — the contract the manifests are checked against. */
export function documentedVariables(): DocumentedVariable[] {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
  const section = text.slice(text.indexOf('## Configuration'));
  const rows = section.split('\n').filter((line) => /^\|\s*`[A-Z_]+`/.test(line));
  if (rows.length === 0) throw new Error('docs/architecture.md: no configuration table found under "## Configuration"');
  return rows.flatMap((row) => {
    const [variables, apps, required] = row.split('|').slice(1).map((cell) => cell.trim());
    const appList = apps === 'all' ? ALL_APPS : apps.split(',').map((a) => a.trim());
    return [...variables.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => ({ name: m[1], apps: appList, required }));
  });
}

/** Variables an app must be given with this broker. */
export function requiredVariables(app: string, broker: string): string[] {
  return documentedVariables()
    .filter((v) => v.apps.includes(app) && (v.required === 'yes' || v.required === `with ${broker}`))
    .map((v) => v.name);
}
