/**
 * The Grafana transformations Oleada's panels use, as typed constructors. A transformation turns
 * the frames a query returned into what a visualization draws; these are the options Grafana
 * stores in the dashboard JSON (`panel.transformations[]`), nothing more.
 */

/** Columns of the table `reduceToRows` makes: one row per input field. */
export const ROWS = {
  /** The input field's name (e.g. a category), a string column. */
  label: 'Field',
  /** Its value: the `sum` reducer, displayed by Grafana as "Total". */
  value: 'Total',
} as const;

/** One operand of a binary calculation: a field by name, or a constant. */
export type BinaryValue = { readonly matcher: { readonly id: 'byName'; readonly options: string } } | { readonly fixed: string };

export type BinaryOperator = '+' | '-' | '*' | '/';

export type Transformation =
  | { readonly id: 'filterFieldsByName'; readonly options: { readonly include: { readonly pattern: string } } }
  | {
      readonly id: 'reduce';
      readonly options: { readonly mode: 'seriesToRows'; readonly reducers: readonly ['sum']; readonly includeTimeField: false };
    }
  | {
      readonly id: 'calculateField';
      readonly options: {
        readonly mode: 'binary';
        readonly binary: { readonly left: BinaryValue; readonly operator: BinaryOperator; readonly right: BinaryValue };
        readonly alias: string;
        readonly replaceFields: false;
        readonly timeSeries: false;
      };
    }
  | {
      readonly id: 'organize';
      readonly options: {
        readonly excludeByName: Readonly<Record<string, boolean>>;
        readonly renameByName: Readonly<Record<string, string>>;
        readonly indexByName: Readonly<Record<string, number>>;
      };
    }
  | { readonly id: 'sortBy'; readonly options: { readonly fields: Record<string, never>; readonly sort: readonly [{ readonly field: string; readonly desc: boolean }] } }
  | { readonly id: 'limit'; readonly options: { readonly limitField: number } }
  | {
      readonly id: 'convertFieldType';
      readonly options: {
        readonly fields: Record<string, never>;
        readonly conversions: readonly [{ readonly targetField: string; readonly destinationType: 'number' | 'time' }];
      };
    };

export type TransformationId = Transformation['id'];
export const TRANSFORMATION_IDS: readonly TransformationId[] = ['filterFieldsByName', 'reduce', 'calculateField', 'organize', 'sortBy', 'limit', 'convertFieldType'];

/** Keeps the fields whose display name matches `pattern` (a regular expression; variables allowed). */
export function filterFieldsByName(pattern: string): Transformation {
  return { id: 'filterFieldsByName', options: { include: { pattern } } };
}

/**
 * One row per field: the redis-datasource returns HGETALL (and ZRANGE WITHSCORES) as a single row
 * with a field per hash field; a bar chart needs a row per bar. Columns: `ROWS.label`, `ROWS.value`.
 */
export function reduceToRows(): Transformation {
  return { id: 'reduce', options: { mode: 'seriesToRows', reducers: ['sum'], includeTimeField: false } };
}

/** A new field `alias` = left `operator` right (fields by name, numbers as constants). */
export function calculate(left: string | number, operator: BinaryOperator, right: string | number, alias: string): Transformation {
  const operand = (value: string | number): BinaryValue =>
    typeof value === 'number' ? { fixed: String(value) } : { matcher: { id: 'byName', options: value } };
  return {
    id: 'calculateField',
    options: { mode: 'binary', binary: { left: operand(left), operator, right: operand(right) }, alias, replaceFields: false, timeSeries: false },
  };
}

/** Orders (the listed fields first, in this order), drops and renames fields — in Grafana's order. */
export function organize(options: {
  readonly order?: readonly string[];
  readonly exclude?: readonly string[];
  readonly rename?: Readonly<Record<string, string>>;
}): Transformation {
  return {
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries((options.exclude ?? []).map((name) => [name, true])),
      renameByName: { ...options.rename },
      indexByName: Object.fromEntries((options.order ?? []).map((name, i) => [name, i])),
    },
  };
}

export function sortBy(field: string, desc: boolean): Transformation {
  return { id: 'sortBy', options: { fields: {}, sort: [{ field, desc }] } };
}

export function limit(rows: number): Transformation {
  return { id: 'limit', options: { limitField: rows } };
}

/** Converts a field: strings to numbers, or numbers (epoch milliseconds) to time. */
export function convertFieldType(field: string, to: 'number' | 'time'): Transformation {
  return { id: 'convertFieldType', options: { fields: {}, conversions: [{ targetField: field, destinationType: to }] } };
}

/** A regular expression matching exactly these names (escaped). */
export function exactNames(names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
}
