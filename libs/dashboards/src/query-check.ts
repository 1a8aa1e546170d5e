import { isRedisQuery, type DashboardModel, type PrometheusQuery, type VariableModel } from './model';

/**
 * Runs every Prometheus query of a dashboard against a real Prometheus through its HTTP API, as
 * Grafana would send it: the dashboard's time range, its template variables and Grafana's interval
 * variables (`$__interval`, `$__rate_interval`, `$__range`, …) substituted, a range query with the
 * interval as its step. A query that returns no number fails, naming its dashboard, panel and
 * series. CLI: `node libs/dashboards/dist/cli/check-queries.js` (tools/cluster/test-k8s.sh).
 */

/** One Prometheus query of a panel, as the dashboard stores it. */
export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly legend?: string;
  readonly expr: string;
}

/** Every Prometheus query of the dashboard, panel by panel (a panel's data source decides). */
export function prometheusQueries(dashboard: DashboardModel): PanelQuery[] {
  return dashboard.panels.flatMap((panel) =>
    panel.datasource.type !== 'prometheus'
      ? []
      : panel.targets
          .filter((t): t is PrometheusQuery => !isRedisQuery(t))
          .map((t) => ({ dashboard: dashboard.title, panel: panel.title, refId: t.refId, legend: t.legendFormat, expr: t.expr })),
  );
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `15s`, `1m`, `500ms`, `2h` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (e.g. 15s, 1m)`);
  return Number(match[1]) * UNITS[match[2]];
}

/** Milliseconds as the shortest Prometheus duration (`60000` → `1m`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A dashboard time bound relative to now (`now`, `now-30m`) → epoch milliseconds. */
export function resolveTime(text: string, now: number): number {
  if (text === 'now') return now;
  const match = /^now-(\d+(?:ms|s|m|h|d|w))$/.exec(text);
  if (!match) throw new Error(`time "${text}" is not of the form now or now-<duration>`);
  return now - parseDuration(match[1]);
}

// Grafana's interval rounding (kbn.roundInterval): the calculated interval snaps to these steps.
const ROUNDING: ReadonlyArray<readonly [below: number, step: number]> = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12500, 10_000],
  [17500, 15_000],
  [25000, 20_000],
  [45000, 30_000],
  [90000, 60_000],
  [210000, 120_000],
  [450000, 300_000],
  [750000, 600_000],
  [1050000, 900_000],
  [1500000, 1_200_000],
  [2700000, 1_800_000],
  [5400000, 3_600_000],
  [9000000, 7_200_000],
  [16200000, 10_800_000],
  [27000000, 21_600_000],
  [43200000, 43_200_000],
];

function roundInterval(ms: number): number {
  for (const [below, step] of ROUNDING) if (ms < below) return step;
  return 86_400_000;
}

/** Grafana's built-in interval variables for one panel query. */
export interface Intervals {
  /** `$__interval`: the step of the range query. */
  readonly intervalMs: number;
  /** `$__rate_interval`: max(`$__interval` + scrape interval, 4 × scrape interval). */
  readonly rateIntervalMs: number;
  /** `$__range`: the dashboard's time range. */
  readonly rangeMs: number;
}

/**
 * The interval variables as Grafana computes them for a Prometheus panel: the range divided by the
 * panel's data points (Grafana uses its width in pixels), rounded, and never below the data
 * source's scrape interval (`timeInterval`, see grafanaDatasources).
 */
export function grafanaIntervals(props: { readonly rangeMs: number; readonly scrapeIntervalMs: number; readonly maxDataPoints?: number }): Intervals {
  const intervalMs = Math.max(props.scrapeIntervalMs, roundInterval(props.rangeMs / (props.maxDataPoints ?? 1000)));
  return { intervalMs, rateIntervalMs: Math.max(intervalMs + props.scrapeIntervalMs, 4 * props.scrapeIntervalMs), rangeMs: props.rangeMs };
}

/** The value of each template variable: its current value, else its first option (what Grafana shows on load). */
export function variableValues(variables: readonly (VariableModel & { readonly current?: { readonly value?: unknown } })[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const v of variables) {
    const current = v.current?.value;
    const first = Array.isArray(current) ? current[0] : current;
    if (typeof first === 'string' && first !== '' && first !== '$__all') {
      values[v.name] = first;
      continue;
    }
    if (v.type === 'custom' || v.type === 'interval' || v.type === 'constant' || v.type === 'textbox') {
      // custom: "a,b,c" or "label : value" pairs; the first option's value
      const option = v.query.split(',')[0]?.trim() ?? '';
      values[v.name] = option.includes(' : ') ? option.split(' : ')[1].trim() : option;
    } else {
      throw new Error(`variable ${v.name}: type ${v.type} has no value to substitute without Grafana`);
    }
  }
  return values;
}

/**
 * The expression with `$name`, `${name}`, `${name:format}` and `[[name]]` replaced; throws naming
 * any variable it does not know, so no query reaches Prometheus with a `$` left in it.
 */
export function substitute(expr: string, intervals: Intervals, variables: Readonly<Record<string, string>> = {}): string {
  const builtin: Record<string, string> = {
    __interval: formatDuration(intervals.intervalMs),
    __interval_ms: String(intervals.intervalMs),
    __rate_interval: formatDuration(intervals.rateIntervalMs),
    __rate_interval_ms: String(intervals.rateIntervalMs),
    __range: formatDuration(intervals.rangeMs),
    __range_s: String(Math.floor(intervals.rangeMs / 1000)),
    __range_ms: String(intervals.rangeMs),
  };
  const value = (name: string): string => {
    const v = builtin[name] ?? variables[name];
    if (v === undefined) throw new Error(`unknown variable $${name} in ${expr}`);
    return v;
  };
  return expr
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}/g, (_, name: string) => value(name))
    .replace(/\[\[([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\]\]/g, (_, name: string) => value(name))
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => value(name));
}

/** One series of a range query's answer: its labels and its points (epoch seconds, value). */
export interface RangeSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: ReadonlyArray<readonly [number, number]>;
}

/** A Prometheus HTTP API client for range queries (`/api/v1/query_range`, POST as Grafana sends it). */
export class PrometheusApi {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async queryRange(expr: string, startMs: number, endMs: number, stepMs: number): Promise<RangeSeries[]> {
    const body = new URLSearchParams({ query: expr, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepMs / 1000) });
    const response = await fetch(`${this.baseUrl.replace(/\/$/, '')}/api/v1/query_range`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let json: { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`Prometheus answered ${response.status} without JSON: ${text.slice(0, 200)}`);
    }
    if (json.status !== 'success') throw new Error(`Prometheus refused the query (${json.errorType ?? response.status}): ${json.error ?? text.slice(0, 200)}`);
    if (json.data?.resultType !== 'matrix') throw new Error(`Prometheus answered a ${json.data?.resultType} to a range query`);
    return (json.data.result ?? []).map((s) => ({ metric: s.metric, values: s.values.map(([t, v]) => [t, Number(v)] as const) }));
  }
}

/** What one panel query returned. */
export interface QueryOutcome {
  readonly query: PanelQuery;
  /** The expression as sent (variables substituted). */
  readonly sent: string;
  readonly ok: boolean;
  /** Why it failed (no data, an error); absent when ok. */
  readonly problem?: string;
  /**
   * Each series' last number (Grafana's `lastNotNull`) and its time, labels rendered by the legend,
   * and its largest number over the range (Grafana's `max`: a rate's value during the load when the
   * check runs after it).
   */
  readonly last: ReadonlyArray<{ readonly series: string; readonly at: number; readonly value: number; readonly max: number }>;
}

/** The legend with `{{label}}` filled from the series' labels (Grafana's legendFormat). */
export function renderLegend(legend: string | undefined, metric: Readonly<Record<string, string>>): string {
  if (!legend) return JSON.stringify(metric);
  return legend.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => metric[name] ?? '');
}

/** The verdict on a range answer: ok when at least one series has a number (NaN is no data). */
export function judge(query: PanelQuery, sent: string, series: readonly RangeSeries[]): QueryOutcome {
  const last = series.flatMap((s) => {
    const numbers = s.values.filter(([, v]) => Number.isFinite(v));
    const point = numbers[numbers.length - 1];
    return point ? [{ series: renderLegend(query.legend, s.metric), at: point[0], value: point[1], max: Math.max(...numbers.map(([, v]) => v)) }] : [];
  });
  if (last.length > 0) return { query, sent, ok: true, last };
  const problem = series.length === 0 ? 'no data (no series)' : `no data (${series.length} series, no number in any)`;
  return { query, sent, ok: false, problem, last };
}

export interface DashboardCheckOptions {
  /** End of the dashboard's time range (epoch ms). @default Date.now() */
  readonly now?: number;
  /** The data source's scrape interval (`timeInterval`). */
  readonly scrapeIntervalMs: number;
  /** @default 1000 */
  readonly maxDataPoints?: number;
}

/** Runs each Prometheus query of the dashboard over its own time range; one outcome per query. */
export async function checkDashboardQueries(api: PrometheusApi, dashboard: DashboardModel & { readonly time?: { readonly from: string; readonly to: string } }, options: DashboardCheckOptions): Promise<QueryOutcome[]> {
  const now = options.now ?? Date.now();
  const time = dashboard.time ?? { from: 'now-6h', to: 'now' };
  const end = resolveTime(time.to, now);
  const start = resolveTime(time.from, now);
  const intervals = grafanaIntervals({ rangeMs: end - start, scrapeIntervalMs: options.scrapeIntervalMs, maxDataPoints: options.maxDataPoints });
  const variables = variableValues(dashboard.templating?.list ?? []);
  const outcomes: QueryOutcome[] = [];
  for (const query of prometheusQueries(dashboard)) {
    let sent = query.expr;
    try {
      sent = substitute(query.expr, intervals, variables);
      // Grafana aligns a range query's start and end on its step
      const step = intervals.intervalMs;
      const series = await api.queryRange(sent, Math.floor(start / step) * step, Math.floor(end / step) * step, step);
      outcomes.push(judge(query, sent, series));
    } catch (error) {
      outcomes.push({ query, sent, ok: false, problem: (error as Error).message, last: [] });
    }
  }
  return outcomes;
}

/**
 * The accepted-request rate over `[to - windowMs, to]` from Locust's stats history
 * (`<prefix>_stats_history.csv`, its `Aggregated` rows: cumulative requests and failures, one row a
 * second): (requests − failures) gained in the window, per second, between the rows nearest the
 * window's ends (a window that begins before Locust started counts from 0 at its start). Undefined
 * when the history does not cover the window.
 */
export function locustAcceptedRate(csv: string, toMs: number, windowMs: number): { readonly rate: number; readonly fromS: number; readonly toS: number } | undefined {
  const [header, ...lines] = csv.trim().split(/\r?\n/);
  const columns = splitCsv(header);
  const col = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`Locust stats history has no "${name}" column`);
    return i;
  };
  const [ts, name, requests, failures] = [col('Timestamp'), col('Name'), col('Total Request Count'), col('Total Failure Count')];
  const rows = lines
    .map(splitCsv)
    .filter((r) => r[name] === 'Aggregated')
    .map((r) => ({ t: Number(r[ts]), accepted: Number(r[requests]) - Number(r[failures]) }))
    .filter((r) => Number.isFinite(r.t) && Number.isFinite(r.accepted))
    .sort((a, b) => a.t - b.t);
  const at = (seconds: number) => rows.filter((r) => r.t <= seconds).pop();
  const fromS = (toMs - windowMs) / 1000;
  const end = at(toMs / 1000);
  // A window that begins before Locust did: nothing was sent before its first row (0 accepted).
  const begin = at(fromS) ?? (rows[0]?.accepted === 0 && rows[0].t - fromS < windowMs / 1000 ? { t: fromS, accepted: 0 } : undefined);
  if (!end || !begin || end.t <= begin.t || end.t < toMs / 1000 - 5 || begin.t < fromS - 5) return undefined;
  return { rate: (end.accepted - begin.accepted) / (end.t - begin.t), fromS: begin.t, toS: end.t };
}

/** The accepted-events series against Locust's own rate, point by point over the same windows. */
export interface LocustComparison {
  /** Points of the series whose window Locust's history covers. */
  readonly points: number;
  readonly fromS: number;
  readonly toS: number;
  /** Mean of the series' values at those points (per second). */
  readonly prometheus: number;
  /** Mean of Locust's accepted rate over each point's window. */
  readonly locust: number;
}

/**
 * Each point of the series (a rate over `windowMs` ending at the point) beside Locust's accepted
 * rate over the same window, averaged over every point Locust's history covers: one point's window
 * is a few scrapes, so the two sides' edges (the last scrape before the point, Locust's last row)
 * differ by seconds; over the points of the load those differences average out.
 */
export function compareWithLocust(values: ReadonlyArray<readonly [number, number]>, csv: string, windowMs: number): LocustComparison | undefined {
  // only windows wholly inside the load: a window reaching back before Locust started holds the
  // first scrapes of series that only began with the load, which rate() cannot extrapolate to 0
  const started = Math.min(...csv.trim().split(/\r?\n/).slice(1).map((line) => Number(splitCsv(line)[0])).filter(Number.isFinite));
  const pairs = values.flatMap(([t, v]) => {
    const locust = Number.isFinite(v) && t - windowMs / 1000 >= started ? locustAcceptedRate(csv, t * 1000, windowMs) : undefined;
    return locust ? [{ t, prometheus: v, locust: locust.rate }] : [];
  });
  if (pairs.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    points: pairs.length,
    fromS: pairs[0].t,
    toS: pairs[pairs.length - 1].t,
    prometheus: mean(pairs.map((p) => p.prometheus)),
    locust: mean(pairs.map((p) => p.locust)),
  };
}

function splitCsv(line: string): string[] {
  // Locust quotes fields only when they hold a comma or a quote
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  out.push(field);
  return out;
}

/** |a − b| / b within `tolerance` (b > 0). */
export function withinShare(a: number, b: number, tolerance: number): boolean {
  return b > 0 && Math.abs(a - b) / b <= tolerance;
}
