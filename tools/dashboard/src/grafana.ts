import type { BinaryOperator, BinaryValue, DashboardModel, Transformation, VariableModel } from '@oleada/dashboards';
import { displayName, frameLength, type Field, type Frame } from './frames';

/**
 * What Grafana does between a query and a visualization, for the transformations and variables
 * Oleada's dashboards use (packages/grafana-data: transformations/transformers/*, template
 * variable interpolation). Anything else is refused, so a dashboard cannot silently use a
 * transformation the preview and the tests do not reproduce.
 */

/** Selected values per variable name. */
export type VariableValues = Readonly<Record<string, readonly string[]>>;

/** The values of a custom variable: its comma-separated options. */
export function variableOptions(variable: VariableModel): string[] {
  return variable.query
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Every variable's selection: `selected[name]` when given, else all its options ("All", the default). */
export function variableValues(dashboard: DashboardModel, selected: Readonly<Record<string, readonly string[]>> = {}): VariableValues {
  const out: Record<string, readonly string[]> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    const options = variableOptions(variable);
    const chosen = (selected[variable.name] ?? []).filter((v) => options.includes(v));
    out[variable.name] = chosen.length > 0 ? chosen : options;
  }
  return out;
}

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function formatValues(values: readonly string[], format: string | undefined): string {
  switch (format) {
    case 'regex':
      return values.length === 1 ? escapeRegex(values[0]) : `(${values.map(escapeRegex).join('|')})`;
    case 'pipe':
      return values.join('|');
    case 'csv':
    case 'raw':
      return values.join(',');
    case undefined:
      return values.length === 1 ? values[0] : `{${values.join(',')}}`;
    default:
      throw new Error(`variable format ${format} is not reproduced by the preview`);
  }
}

/** Replaces `$name`, `${name}` and `${name:format}` like Grafana's template service. */
export function interpolate(text: string, values: VariableValues): string {
  return text.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (whole, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const selected = values[name];
    return selected ? formatValues(selected, format) : whole;
  });
}

function findField(frame: Frame, name: string): Field | undefined {
  return frame.fields.find((f) => displayName(f) === name);
}

function operand(frame: Frame, value: BinaryValue): ReadonlyArray<number | string | null> | undefined {
  if ('fixed' in value) {
    const n = parseFloat(value.fixed);
    return Number.isNaN(n) ? undefined : new Array<number>(frameLength(frame)).fill(n);
  }
  return findField(frame, value.matcher.options)?.values;
}

function operate(operator: BinaryOperator, a: number | string | null, b: number | string | null): number | null {
  if (a === null || b === null) return null;
  const x = Number(a);
  const y = Number(b);
  switch (operator) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
  }
}

function toNumber(value: number | string | null): number | null {
  if (value === null || value === '') return null;
  const n = typeof value === 'number' ? value : parseFloat(value);
  return Number.isNaN(n) ? null : n;
}

function reorder(frame: Frame, order: readonly number[]): Frame {
  return { ...frame, fields: frame.fields.map((f) => ({ ...f, values: order.map((i) => f.values[i]) })) };
}

/** Applies one transformation to every frame. */
export function transform(frames: readonly Frame[], t: Transformation, values: VariableValues): Frame[] {
  switch (t.id) {
    case 'filterFieldsByName': {
      const pattern = new RegExp(interpolate(t.options.include.pattern, values));
      return frames.map((frame) => ({ ...frame, fields: frame.fields.filter((f) => pattern.test(displayName(f))) })).filter((frame) => frame.fields.length > 0);
    }
    case 'reduce': {
      // seriesToRows with `sum`: one row per (non-time) field of every frame, merged into one table.
      if (frames.length === 0) return [];
      const labels: string[] = [];
      const totals: Array<number | null> = [];
      for (const frame of frames) {
        for (const field of frame.fields) {
          if (field.type === 'time') continue;
          labels.push(displayName(field));
          const numbers = field.values.map(toNumber).filter((v): v is number => v !== null);
          totals.push(field.type === 'number' ? numbers.reduce((sum, v) => sum + v, 0) : null);
        }
      }
      return [
        {
          name: frames[0].name,
          refId: frames[0].refId,
          fields: [
            { name: 'Field', type: 'string', values: labels, config: {} },
            { name: 'Total', type: 'number', values: totals, config: {} },
          ],
        },
      ];
    }
    case 'calculateField': {
      const { left, operator, right } = t.options.binary;
      return frames.map((frame) => {
        const a = operand(frame, left);
        const b = operand(frame, right);
        if (!a || !b) return frame;
        const result: Field = { name: t.options.alias, type: 'number', values: a.map((v, i) => operate(operator, v, b[i])), config: { displayName: t.options.alias } };
        return { ...frame, fields: [...frame.fields, result] };
      });
    }
    case 'organize': {
      // Grafana orders (listed names by index, the rest after, in their order), then excludes, then renames.
      const { excludeByName, renameByName, indexByName } = t.options;
      const rank = (f: Field) => indexByName[displayName(f)] ?? Number.MAX_SAFE_INTEGER;
      return frames.map((frame) => ({
        ...frame,
        fields: [...frame.fields]
          .sort((a, b) => rank(a) - rank(b))
          .filter((f) => !excludeByName[displayName(f)])
          .map((f) => (renameByName[displayName(f)] ? { ...f, config: { ...f.config, displayName: renameByName[displayName(f)] } } : f)),
      }));
    }
    case 'sortBy': {
      const [{ field: name, desc }] = t.options.sort;
      return frames.map((frame) => {
        const field = findField(frame, name);
        if (!field) return frame;
        const order = field.values.map((_, i) => i);
        order.sort((i, j) => {
          const a = field.values[i];
          const b = field.values[j];
          if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
          const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
          return desc ? -c : c;
        });
        return reorder(frame, order);
      });
    }
    case 'limit':
      return frames.map((frame) => reorder(frame, [...Array(Math.min(frameLength(frame), t.options.limitField)).keys()]));
    case 'convertFieldType': {
      const [{ targetField, destinationType }] = t.options.conversions;
      return frames.map((frame) => ({
        ...frame,
        fields: frame.fields.map((f) => {
          if (displayName(f) !== targetField) return f;
          if (destinationType === 'number') return { ...f, type: 'number', values: f.values.map(toNumber) };
          const time = f.values.map((v) => (typeof v === 'number' ? v : v === null ? null : Date.parse(v)));
          return { ...f, type: 'time', values: time.map((v) => (v === null || Number.isNaN(v) ? null : v)) };
        }),
      }));
    }
    default: {
      const unknown: never = t;
      throw new Error(`transformation ${JSON.stringify(unknown)} is not reproduced by the preview`);
    }
  }
}

/** Applies a panel's transformations in order. */
export function applyTransformations(frames: readonly Frame[], transformations: readonly Transformation[] | undefined, values: VariableValues): Frame[] {
  return (transformations ?? []).reduce<Frame[]>((data, t) => transform(data, t, values), [...frames]);
}
