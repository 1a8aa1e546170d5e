import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import { CustomVariableBuilder, DashboardBuilder, type DataTransformerConfig } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { AnyScenario } from '@oleada/scenarios';
import { meanFields, ScenarioKeys, type Aggregate, type HashAggregate } from '@oleada/valkey-schema';
import { VALKEY_DATASOURCE, type DatasourceRef } from './datasources';
import { placePanels, toJson, type SizedPanel } from './layout';
import { RedisQueryBuilder } from './redis-query';
import {
  calculate,
  convertFieldType,
  exactNames,
  filterFieldsByName,
  organize,
  reduceToRows,
  ROWS,
  sortBy,
  type Transformation,
} from './transformations';
import { decimalsFor, grafanaUnit } from './units';

/** The dashboard variable selecting categories (the fields of the headline hash). */
export const CATEGORY_VARIABLE = 'category';
/** How many members a ranking panel shows. */
export const DEFAULT_TOP_N = 10;
/** Name of the time field a per-minute panel draws. */
export const TIME_FIELD = 'Time';

export interface ScenarioDashboardOptions {
  /** @default VALKEY_DATASOURCE */
  readonly valkey?: DatasourceRef;
  /** Keys to read (another namespace or variant in tests). @default new ScenarioKeys(scenario.name) */
  readonly keys?: ScenarioKeys;
  /** @default DEFAULT_TOP_N */
  readonly topN?: number;
}

type AnyAggregate = Aggregate<unknown>;

/** The headline hash of a scenario (one bar per field); a scenario without one is a definition error. */
export function headlineOf(scenario: AnyScenario): HashAggregate<unknown> {
  const headline = (scenario.aggregates as readonly AnyAggregate[]).find((a) => a.metric === scenario.headline);
  if (!headline || headline.kind !== 'hash' || headline.group) {
    throw new Error(`scenario ${scenario.name}: headline "${scenario.headline}" must name an ungrouped hash aggregate`);
  }
  return headline;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, i) => field === b[i]);
}

/** Transformations that turn the stored integer column `from` into the displayed column `title`. */
function display(from: string, title: string, scale: number | undefined): Transformation[] {
  return scale && scale !== 1 ? [calculate(from, '/', scale, title), organize({ exclude: [from] })] : [organize({ rename: { [from]: title } })];
}

/** A bar chart of the rows `reduceToRows` makes: one bar per `ROWS.label`, no legend. */
function barChart(
  title: string,
  description: string,
  valkey: DatasourceRef,
  query: RedisQueryBuilder,
  transformations: readonly Transformation[],
  format: { readonly unit: string; readonly decimals: number; readonly horizontal?: boolean },
): barchart.PanelBuilder {
  return new barchart.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(valkey)
    .withTarget(query)
    .transformations(transformations as DataTransformerConfig[])
    .unit(format.unit)
    .decimals(format.decimals)
    .xField(ROWS.label)
    .orientation(format.horizontal ? common.VizOrientation.Horizontal : common.VizOrientation.Vertical)
    .showValue(common.VisibilityMode.Always)
    .legend(hiddenLegend());
}

function hiddenLegend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder().showLegend(false).displayMode(common.LegendDisplayMode.Hidden).placement(common.LegendPlacement.Bottom).calcs([]);
}

/** Builds one scenario's panels from its aggregate declarations. */
class ScenarioPanels {
  private readonly valkey: DatasourceRef;
  private readonly keys: ScenarioKeys;
  private readonly topN: number;
  readonly headline: HashAggregate<unknown>;

  constructor(
    readonly scenario: AnyScenario,
    options: ScenarioDashboardOptions,
  ) {
    this.valkey = options.valkey ?? VALKEY_DATASOURCE;
    this.keys = options.keys ?? new ScenarioKeys(scenario.name);
    this.topN = options.topN ?? DEFAULT_TOP_N;
    this.headline = headlineOf(scenario);
  }

  /** Panels for every aggregate: the headline first, then totals, the per-minute series, breakdowns, rankings. */
  all(): SizedPanel[] {
    const aggregates = this.scenario.aggregates as readonly AnyAggregate[];
    const rank = (a: AnyAggregate): number => {
      if (a === this.headline) return 0;
      if (a.kind === 'counter') return 1;
      if (a.kind === 'bucket') return 2;
      if (a.kind === 'hash' && a.group) return 5;
      if (a.kind === 'zset') return 4;
      return 3;
    };
    const ordered = aggregates.map((a, i) => ({ a, i })).sort((p, q) => rank(p.a) - rank(q.a) || p.i - q.i);
    return ordered.flatMap(({ a }) => this.panelsFor(a));
  }

  private panelsFor(aggregate: AnyAggregate): SizedPanel[] {
    switch (aggregate.kind) {
      case 'hash':
        if (aggregate.group) {
          const width = Math.max(6, Math.floor(24 / aggregate.group.values.length));
          return aggregate.group.values.map((group) =>
            this.bars(aggregate, this.keys.metric(aggregate.metric, group), `${aggregate.title} · ${group}`, { w: width, h: 8 }),
          );
        }
        return [this.bars(aggregate, this.keys.metric(aggregate.metric), aggregate.title, aggregate === this.headline ? { w: 12, h: 9 } : { w: 8, h: 8 })];
      case 'min':
      case 'max':
        return [this.bars(aggregate, this.keys.metric(aggregate.metric), aggregate.title, { w: 8, h: 8 })];
      case 'mean':
        return [this.means(aggregate)];
      case 'zset':
        return [this.ranking(aggregate)];
      case 'counter':
        return [this.total(aggregate)];
      case 'bucket':
        return [this.perMinute(aggregate)];
      default: {
        const unknown: never = aggregate;
        throw new Error(`no dashboard panel for aggregate ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Keeps the selected categories when the aggregate is broken down by the headline's fields. */
  private categoryFilter(fields: readonly string[]): Transformation[] {
    return sameFields(fields, this.headline.fields) ? [filterFieldsByName(`^\${${CATEGORY_VARIABLE}:regex}$`)] : [];
  }

  private query(): RedisQueryBuilder {
    return new RedisQueryBuilder(this.valkey);
  }

  /** One bar per hash field: HGETALL, then one row per field. */
  private bars(
    aggregate: Extract<AnyAggregate, { readonly fields: readonly string[] }>,
    key: string,
    title: string,
    size: { readonly w: number; readonly h: number },
  ): SizedPanel {
    const transformations = [
      ...this.categoryFilter(aggregate.fields),
      // Bars in the order the scenario declares its fields (Valkey returns them in insertion order).
      organize({ order: aggregate.fields }),
      reduceToRows(),
      ...display(ROWS.value, aggregate.title, aggregate.scale),
    ];
    const panel = barChart(title, `HGETALL ${key}`, this.valkey, this.query().hgetall(key), transformations, {
      unit: grafanaUnit(aggregate.unit),
      decimals: decimalsFor(aggregate.scale),
    });
    return { panel, ...size };
  }

  /** One bar per field of a `mean` hash: sum / count (and / scale) computed per field, then rows. */
  private means(aggregate: Extract<AnyAggregate, { readonly kind: 'mean' }>): SizedPanel {
    const key = this.keys.metric(aggregate.metric);
    const scaled = aggregate.scale && aggregate.scale !== 1;
    const perField = aggregate.fields.flatMap((field) => {
      const { sum, count } = meanFields(field);
      return scaled ? [calculate(sum, '/', count, `${field}:mean`), calculate(`${field}:mean`, '/', aggregate.scale as number, field)] : [calculate(sum, '/', count, field)];
    });
    const keep = sameFields(aggregate.fields, this.headline.fields) ? this.categoryFilter(aggregate.fields) : [filterFieldsByName(exactNames(aggregate.fields))];
    const transformations = [...perField, ...keep, organize({ order: aggregate.fields }), reduceToRows(), organize({ rename: { [ROWS.value]: aggregate.title } })];
    const panel = barChart(aggregate.title, `HGETALL ${key} (mean = sum / count per field)`, this.valkey, this.query().hgetall(key), transformations, {
      unit: grafanaUnit(aggregate.unit),
      decimals: Math.max(1, decimalsFor(aggregate.scale)),
    });
    return { panel, w: 8, h: 8 };
  }

  /** The top members of a sorted set, highest first: ZRANGE … REV WITHSCORES. */
  private ranking(aggregate: Extract<AnyAggregate, { readonly kind: 'zset' }>): SizedPanel {
    const key = this.keys.metric(aggregate.metric);
    const transformations = [reduceToRows(), sortBy(ROWS.value, true), ...display(ROWS.value, aggregate.title, aggregate.scale)];
    const query = this.query().zrange(key, 0, this.topN - 1, { rev: true });
    const panel = barChart(aggregate.title, `ZREVRANGE ${key} 0 ${this.topN - 1} WITHSCORES (the top ${this.topN})`, this.valkey, query, transformations, {
      unit: grafanaUnit(aggregate.unit),
      decimals: decimalsFor(aggregate.scale),
      horizontal: true,
    });
    return { panel, w: 12, h: 10 };
  }

  /** A counter as one big number: GET. */
  private total(aggregate: Extract<AnyAggregate, { readonly kind: 'counter' }>): SizedPanel {
    const key = this.keys.metric(aggregate.metric);
    const panel = new stat.PanelBuilder()
      .title(aggregate.title)
      .description(`GET ${key}`)
      .datasource(this.valkey)
      .withTarget(this.query().get(key))
      .transformations(display('Value', aggregate.title, aggregate.scale) as DataTransformerConfig[])
      .unit(grafanaUnit(aggregate.unit))
      .decimals(decimalsFor(aggregate.scale))
      .noValue('0')
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .graphMode(common.BigValueGraphMode.None)
      .colorMode(common.BigValueColorMode.Value)
      .textMode(common.BigValueTextMode.Value);
    return { panel, w: 4, h: 9 };
  }

  /**
   * The recent per-minute totals of a bucket aggregate. Grafana cannot compute the per-minute key
   * names (`bucket(metric, now - k)`), so it reads the series hash the same function keeps beside
   * them (`ScenarioKeys.series`, field = epoch minute), turning minutes into timestamps.
   */
  private perMinute(aggregate: Extract<AnyAggregate, { readonly kind: 'bucket' }>): SizedPanel {
    const key = this.keys.series(aggregate.metric);
    const transformations = [
      reduceToRows(),
      convertFieldType(ROWS.label, 'number'),
      calculate(ROWS.label, '*', 60_000, TIME_FIELD),
      convertFieldType(TIME_FIELD, 'time'),
      organize({ order: [TIME_FIELD, ROWS.value], exclude: [ROWS.label] }),
      sortBy(TIME_FIELD, false),
      ...display(ROWS.value, aggregate.title, aggregate.scale),
    ];
    const panel = new timeseries.PanelBuilder()
      .title(aggregate.title)
      .description(`HGETALL ${key} (field = epoch minute)`)
      .datasource(this.valkey)
      .withTarget(this.query().hgetall(key))
      .transformations(transformations as DataTransformerConfig[])
      .unit(grafanaUnit(aggregate.unit))
      .decimals(decimalsFor(aggregate.scale))
      .drawStyle(common.GraphDrawStyle.Bars)
      .fillOpacity(80)
      .lineWidth(1)
      .legend(hiddenLegend());
    return { panel, w: 8, h: 9 };
  }
}

/** A scenario's dashboard, derived from its aggregate declarations and the Valkey key builders. */
export function scenarioDashboard(scenario: AnyScenario, options: ScenarioDashboardOptions = {}): Record<string, unknown> {
  const panels = new ScenarioPanels(scenario, options);
  const categories = panels.headline.fields;
  const dashboard = new DashboardBuilder(`Oleada — ${scenario.title}`)
    .uid(`oleada-${scenario.name}`)
    .description(scenario.description)
    .tags(['oleada', scenario.name])
    .timezone('browser')
    .time({ from: 'now-30m', to: 'now' })
    .refresh('10s')
    // Provisioned from a ConfigMap: edits in the UI would be lost at the next sync.
    .readonly()
    .withVariable(
      new CustomVariableBuilder(CATEGORY_VARIABLE)
        .label('Category')
        .description(`Fields of ${panels.headline.title}`)
        .values(categories.join(','))
        .multi(true)
        .includeAll(true)
        .allowCustomValue(false)
        .current({ text: 'All', value: '$__all' })
        .options([{ text: 'All', value: '$__all', selected: true }, ...categories.map((c) => ({ text: c, value: c, selected: false }))]),
    );
  return toJson(placePanels(dashboard, panels.all()));
}
