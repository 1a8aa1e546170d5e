import type { AppKind, BrokerKind } from '@oleada/shared';
import type { z } from 'zod';
import { APP_CONFIGS, APP_KINDS } from './app-configs';

/** What the configuration table says of one variable (or of adjacent ones alike: `VALKEY_USERNAME`, `VALKEY_PASSWORD`). */
export interface ConfigRow {
  readonly names: readonly string[];
  readonly apps: readonly AppKind[];
  /** `yes`, `no`, or the condition under which a rule requires it (`with BROKER=kafka`). */
  readonly required: string;
  readonly byDefault: string;
  readonly meaning: string;
}

type VariableFacts = Omit<ConfigRow, 'names' | 'apps'>;

/** The variables of an app's shape with their schemas, in the shape's order. */
function variablesOf(app: AppKind): Array<[string, z.ZodType]> {
  return Object.entries<z.ZodType>(APP_CONFIGS[app].shape);
}

/** What a variable's schema says of it: required when it rejects an unset value, its default the value it gives then. */
function variableFacts(app: AppKind, name: string, schema: z.ZodType): VariableFacts {
  const meta = schema.meta();
  if (!meta?.description) throw new Error(`${app}: ${name} has no meaning: give its schema a .describe()`);
  const unset = schema.safeParse(undefined);
  const value: unknown = unset.success ? unset.data : undefined;
  const hasValue = value !== undefined && !(Array.isArray(value) && value.length === 0);
  if (hasValue && meta.byDefault) throw new Error(`${app}: ${name} has a default in its schema and another in words (byDefault)`);
  return {
    required: !unset.success ? 'yes' : meta.requiredWith ? `with \`${meta.requiredWith}\`` : 'no',
    byDefault: hasValue ? `\`${Array.isArray(value) ? value.join(',') : String(value)}\`` : (meta.byDefault ?? '—'),
    meaning: meta.description,
  };
}

const sameFacts = (a: VariableFacts, b: VariableFacts) => a.required === b.required && a.byDefault === b.byDefault && a.meaning === b.meaning;

/**
 * The rows of the configuration table, in the order of the apps and of their shapes: a variable
 * the same in several apps is one row naming them; adjacent variables alike share a row.
 */
export function configRows(): ConfigRow[] {
  const rows: Array<VariableFacts & { names: string[]; apps: AppKind[] }> = [];
  for (const app of APP_KINDS) {
    for (const [name, schema] of variablesOf(app)) {
      const facts = variableFacts(app, name, schema);
      const same = rows.find((row) => row.names[0] === name && sameFacts(row, facts));
      if (same) same.apps.push(app);
      else rows.push({ names: [name], apps: [app], ...facts });
    }
  }
  return rows.reduce<typeof rows>((merged, row) => {
    const previous = merged.at(-1);
    if (previous && sameFacts(previous, row) && previous.apps.join() === row.apps.join()) previous.names.push(...row.names);
    else merged.push(row);
    return merged;
  }, []);
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The configuration table of docs/architecture.md, as markdown. */
export function renderConfigTable(): string {
  const lines = ['| variable | apps | required | default | meaning |', '|---|---|---|---|---|'];
  for (const row of configRows()) {
    const apps = row.apps.length === APP_KINDS.length ? 'all' : row.apps.join(', ');
    lines.push(`| ${row.names.map((name) => `\`${name}\``).join(', ')} | ${apps} | ${row.required} | ${cell(row.byDefault)} | ${cell(row.meaning)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The variables `app` must be given with `broker`: those its schema rejects unset, and those a rule requires with that broker. */
export function requiredVariables(app: AppKind, broker: BrokerKind): string[] {
  return variablesOf(app)
    .filter(([, schema]) => !schema.safeParse(undefined).success || schema.meta()?.requiredWith === `BROKER=${broker}`)
    .map(([name]) => name);
}
