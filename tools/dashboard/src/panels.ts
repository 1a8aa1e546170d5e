import { isRedisQuery, type DashboardModel, type PanelModel } from '@oleada/dashboards';
import type Valkey from 'iovalkey';
import { displayName, type Frame } from './frames';
import { applyTransformations, interpolate, variableValues, type VariableValues } from './grafana';
import { commandOf, runRedisQuery } from './redis-datasource';

/** What a panel draws, reduced to what the preview needs. */
export type PanelView =
  | { readonly kind: 'bars'; readonly horizontal: boolean; readonly labels: readonly string[]; readonly values: ReadonlyArray<number | null>; readonly valueName: string }
  | { readonly kind: 'stat'; readonly value: number | null }
  | { readonly kind: 'timebars'; readonly times: readonly number[]; readonly values: ReadonlyArray<number | null>; readonly valueName: string; readonly from: number; readonly to: number };

export interface PanelResult {
  readonly panel: PanelModel;
  /** The Valkey commands the data source sent, as argument lists. */
  readonly commands: readonly string[][];
  /** Frames as the data source returned them. */
  readonly raw: readonly Frame[];
  /** Frames after the panel's transformations: what the visualization receives. */
  readonly frames: readonly Frame[];
  readonly view?: PanelView;
  readonly error?: string;
}

/** `now-30m` → milliseconds before now (the dashboard's default time range). */
function relativeMs(expression: string): number {
  const match = /^now-(\d+)([smhd])$/.exec(expression);
  if (!match) return 30 * 60_000;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function viewOf(panel: PanelModel, frames: readonly Frame[], range: { from: number; to: number }): PanelView {
  const frame = frames[0];
  const fields = frame?.fields ?? [];
  const numberField = fields.find((f) => f.type === 'number');
  switch (panel.type) {
    case 'stat': {
      const values = numberField?.values.filter((v): v is number => typeof v === 'number') ?? [];
      return { kind: 'stat', value: values.length > 0 ? values[values.length - 1] : null };
    }
    case 'barchart': {
      const labelField = fields.find((f) => displayName(f) === panel.options?.xField) ?? fields.find((f) => f.type === 'string');
      return {
        kind: 'bars',
        horizontal: panel.options?.orientation === 'horizontal',
        labels: (labelField?.values ?? []).map(String),
        values: (numberField?.values ?? []).map((v) => (typeof v === 'number' ? v : null)),
        valueName: numberField ? displayName(numberField) : '',
      };
    }
    case 'timeseries': {
      const time = fields.find((f) => f.type === 'time');
      const times: number[] = [];
      const values: Array<number | null> = [];
      (time?.values ?? []).forEach((t, i) => {
        if (typeof t === 'number' && t >= range.from && t <= range.to) {
          times.push(t);
          const v = numberField?.values[i];
          values.push(typeof v === 'number' ? v : null);
        }
      });
      return { kind: 'timebars', times, values, valueName: numberField ? displayName(numberField) : '', ...range };
    }
  }
}

/** Runs one panel's queries like Grafana with the redis-datasource plugin, then its transformations. */
export async function evaluatePanel(client: Valkey, panel: PanelModel, values: VariableValues, range: { from: number; to: number }): Promise<PanelResult> {
  const commands: string[][] = [];
  const raw: Frame[] = [];
  try {
    for (const target of panel.targets) {
      if (!isRedisQuery(target)) throw new Error('a Prometheus panel: shown in Grafana only (no Prometheus runs locally)');
      const query = { ...target, keyName: interpolate(target.keyName, values) };
      commands.push(commandOf(query));
      raw.push(...(await runRedisQuery(client, query)));
    }
    const frames = applyTransformations(raw, panel.transformations, values);
    return { panel, commands, raw, frames, view: viewOf(panel, frames, range) };
  } catch (error) {
    return { panel, commands, raw, frames: [], error: (error as Error).message };
  }
}

export interface EvaluateOptions {
  /** Selected values per variable (default: all). */
  readonly selected?: Readonly<Record<string, readonly string[]>>;
  /** @default Date.now() */
  readonly now?: number;
}

/** Every panel of a dashboard, evaluated against live Valkey. */
export async function evaluateDashboard(client: Valkey, dashboard: DashboardModel, options: EvaluateOptions = {}): Promise<PanelResult[]> {
  const values = variableValues(dashboard, options.selected);
  const to = options.now ?? Date.now();
  const time = (dashboard as DashboardModel & { time?: { from: string } }).time;
  const range = { from: to - relativeMs(time?.from ?? 'now-30m'), to };
  const results: PanelResult[] = [];
  for (const panel of dashboard.panels) results.push(await evaluatePanel(client, panel, values, range));
  return results;
}
