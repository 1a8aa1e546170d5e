import { GRID_COLUMNS } from './layout';
import { REDIS_COMMANDS, type RedisQuery } from './redis-query';
import { TRANSFORMATION_IDS, type Transformation } from './transformations';

/**
 * The part of Grafana's dashboard JSON model Oleada's dashboards use, as read back from JSON (the
 * preview renders it; tests check it). `checkDashboard` verifies a JSON value has this shape.
 */
export interface DashboardModel {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating?: { readonly list?: readonly VariableModel[] };
  readonly panels: readonly PanelModel[];
}

export interface VariableModel {
  readonly type: string;
  readonly name: string;
  readonly query: string;
  readonly includeAll?: boolean;
  readonly multi?: boolean;
}

export type PanelType = 'barchart' | 'stat' | 'timeseries';
export const PANEL_TYPES: readonly PanelType[] = ['barchart', 'stat', 'timeseries'];

export type StoredRedisQuery = Omit<RedisQuery, '_implementsDataqueryVariant'>;

export interface PrometheusQuery {
  readonly refId: string;
  readonly datasource: { readonly type: string; readonly uid: string };
  readonly expr: string;
  readonly legendFormat?: string;
}

export interface PanelModel {
  readonly id: number;
  readonly type: PanelType;
  readonly title: string;
  readonly description?: string;
  readonly datasource: { readonly type: string; readonly uid: string };
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets: ReadonlyArray<StoredRedisQuery | PrometheusQuery>;
  readonly transformations?: readonly Transformation[];
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string; readonly decimals?: number; readonly noValue?: string } };
  readonly options?: Record<string, unknown> & { readonly orientation?: string; readonly xField?: string };
}

export function isRedisQuery(query: StoredRedisQuery | PrometheusQuery): query is StoredRedisQuery {
  return (query as StoredRedisQuery).command !== undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isInt = (v: unknown): v is number => Number.isInteger(v);

/** Problems with a panel's targets (empty when fine). */
function checkTargets(where: string, panel: Json, problems: string[]): void {
  const targets = panel.targets;
  if (!Array.isArray(targets) || targets.length === 0) {
    problems.push(`${where}: no targets`);
    return;
  }
  const refIds = new Set<string>();
  const ds = panel.datasource as Json | undefined;
  targets.forEach((t: unknown, i) => {
    const at = `${where} target ${i}`;
    if (!isObject(t)) return void problems.push(`${at}: not an object`);
    if (!isString(t.refId)) problems.push(`${at}: refId missing`);
    else if (refIds.has(t.refId)) problems.push(`${at}: refId ${t.refId} repeated`);
    else refIds.add(t.refId);
    const tds = t.datasource as Json | undefined;
    if (!isObject(tds) || tds.uid !== ds?.uid || tds.type !== ds?.type) problems.push(`${at}: datasource differs from the panel's`);
    if (ds?.type === 'prometheus') {
      if (!isString(t.expr)) problems.push(`${at}: PromQL expr missing`);
    } else {
      if (t.type !== 'command') problems.push(`${at}: redis-datasource query type must be "command"`);
      if (!REDIS_COMMANDS.includes(t.command as never)) problems.push(`${at}: command ${String(t.command)} is not one the panels use`);
      if (!isString(t.keyName)) problems.push(`${at}: keyName missing`);
      if (t.command === 'zrange' && (!isString(t.min) || !isString(t.max))) problems.push(`${at}: zrange needs min and max`);
    }
  });
}

/**
 * A structural check of a dashboard JSON model, in the spirit of a JSON schema: required fields and
 * their types, known panel and transformation types, a datasource on every panel and query, unique
 * ids and refIds, and grid positions inside Grafana's 24 columns without overlaps. Returns every
 * problem found (empty when the dashboard is well formed).
 */
export function checkDashboard(json: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(json)) return ['dashboard is not an object'];
  if (!isString(json.uid) || json.uid.length > 40) problems.push('uid missing or longer than 40 characters');
  if (!isString(json.title)) problems.push('title missing');
  if (!isInt(json.schemaVersion)) problems.push('schemaVersion missing');
  const templating = json.templating as Json | undefined;
  // Grafana fills in a missing `templating` or `templating.list`; a present list must be well formed.
  if (templating !== undefined && (!isObject(templating) || (templating.list !== undefined && !Array.isArray(templating.list)))) {
    problems.push('templating.list is not a list');
  } else if (Array.isArray(templating?.list)) {
    for (const v of templating.list as unknown[]) {
      if (!isObject(v) || !isString(v.name) || !isString(v.type)) problems.push('a variable without name or type');
      else if (v.type === 'custom' && !isString(v.query)) problems.push(`variable ${v.name}: custom values missing`);
    }
  }
  if (!Array.isArray(json.panels) || json.panels.length === 0) return [...problems, 'no panels'];
  const ids = new Set<number>();
  const cells = new Map<string, number>();
  (json.panels as unknown[]).forEach((p, i) => {
    if (!isObject(p)) return void problems.push(`panel ${i}: not an object`);
    const where = `panel ${i} (${String(p.title)})`;
    if (!isInt(p.id) || p.id <= 0) problems.push(`${where}: id must be a positive integer`);
    else if (ids.has(p.id)) problems.push(`${where}: id ${p.id} repeated`);
    else ids.add(p.id);
    if (!PANEL_TYPES.includes(p.type as PanelType)) problems.push(`${where}: type ${String(p.type)} unknown`);
    if (!isString(p.title)) problems.push(`${where}: title missing`);
    const ds = p.datasource as Json | undefined;
    if (!isObject(ds) || !isString(ds.type) || !isString(ds.uid)) problems.push(`${where}: datasource {type, uid} missing`);
    const grid = p.gridPos as Json | undefined;
    if (!isObject(grid) || ![grid.x, grid.y, grid.w, grid.h].every(isInt)) problems.push(`${where}: gridPos must have integer x, y, w, h`);
    else {
      const { x, y, w, h } = grid as { x: number; y: number; w: number; h: number };
      if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > GRID_COLUMNS) problems.push(`${where}: gridPos outside the ${GRID_COLUMNS}-column grid`);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          const other = cells.get(`${cx},${cy}`);
          if (other !== undefined) return void problems.push(`${where}: overlaps panel ${other}`);
          cells.set(`${cx},${cy}`, i);
        }
      }
    }
    checkTargets(where, p, problems);
    if (p.transformations !== undefined) {
      if (!Array.isArray(p.transformations)) problems.push(`${where}: transformations is not an array`);
      else {
        for (const t of p.transformations as unknown[]) {
          if (!isObject(t) || !TRANSFORMATION_IDS.includes(t.id as never) || !isObject(t.options)) problems.push(`${where}: transformation ${JSON.stringify(t)} unknown`);
        }
      }
    }
    const defaults = (p.fieldConfig as Json | undefined)?.defaults as Json | undefined;
    if (defaults !== undefined && defaults.unit !== undefined && !isString(defaults.unit)) problems.push(`${where}: unit must be a string`);
  });
  return problems;
}

/** The dashboard as a typed model; throws listing every problem when it is not well formed. */
export function parseDashboard(json: unknown): DashboardModel {
  const problems = checkDashboard(json);
  if (problems.length > 0) throw new Error(`malformed dashboard:\n  ${problems.join('\n  ')}`);
  return json as DashboardModel;
}
