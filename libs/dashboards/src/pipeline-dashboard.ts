import * as common from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { METRIC_NAMES } from '@oleada/shared';
import { PROMETHEUS_DATASOURCE, type DatasourceRef } from './datasources';
import { placePanels, toJson, type SizedPanel } from './layout';

export const PIPELINE_DASHBOARD_UID = 'oleada-pipeline';
/** The series that shows the events the gateway accepted per second (compared with Locust's own rate by test:k8s). */
export const ACCEPTED_SERIES = { panel: 'Events per second by stage', legend: 'gateway: accepted' } as const;

/** One PromQL series of a panel, with its legend. */
interface Series {
  readonly expr: string;
  readonly legend: string;
}

const RATE = '[$__rate_interval]';
const rate = (selector: string) => `sum(rate(${selector}${RATE}))`;
const quantile = (q: number, histogram: string) => `histogram_quantile(${q}, sum by (le) (rate(${histogram}_bucket${RATE})))`;
const p99 = (histogram: string) => quantile(0.99, histogram);
/** Share of `part` in `whole`; 0 instead of no data while nothing flows. */
const ratio = (part: string, whole: string) => `(${rate(part)} / ${rate(whole)}) or vector(0)`;

/**
 * Every series the pipeline dashboard draws, by panel. Metric names come from `METRIC_NAMES`, the
 * names the apps register; label values are the ones the apps set (`outcome`, `status`, `code`).
 */
export function pipelineSeries(): Record<string, { readonly unit: string; readonly series: readonly Series[] }> {
  const m = METRIC_NAMES;
  return {
    [ACCEPTED_SERIES.panel]: {
      unit: 'reqps',
      series: [
        { expr: rate(`${m.gatewayEvents}{outcome="accepted"}`), legend: ACCEPTED_SERIES.legend },
        { expr: rate(`${m.relayRequests}{status="202"}`), legend: 'relay: forwarded' },
        { expr: rate(`${m.writerEvents}{outcome="accepted"}`), legend: 'writers: durable in Kafka' },
        { expr: rate(`${m.consumerEvents}{outcome="applied"}`), legend: 'consumer: applied to Valkey' },
      ],
    },
    'p99 latency per hop': {
      unit: 's',
      series: [
        { expr: p99(m.gatewayRequestDuration), legend: 'gateway request (whole chain)' },
        { expr: p99(m.relayGrpcDuration), legend: 'relay → writer gRPC' },
        { expr: p99(m.writerRpcDuration), legend: 'writer RPC until acked' },
        { expr: p99(m.produceDuration), legend: 'Kafka produce (acks=all)' },
        { expr: p99(m.valkeyApplyDuration), legend: 'Valkey apply (one batch)' },
      ],
    },
    'Freshness: gateway accepted → Valkey applied': {
      unit: 's',
      series: [
        { expr: quantile(0.5, m.consumerFreshness), legend: 'p50' },
        { expr: quantile(0.99, m.consumerFreshness), legend: 'p99' },
      ],
    },
    'Consumer lag': {
      unit: 'short',
      series: [{ expr: `sum by (topic) (${m.consumerLag})`, legend: '{{topic}}' }],
    },
    'Error rates': {
      unit: 'percentunit',
      series: [
        { expr: ratio(`${m.gatewayRequests}{status=~"5.."}`, m.gatewayRequests), legend: 'gateway 5xx' },
        { expr: ratio(`${m.gatewayRequests}{status=~"4.."}`, m.gatewayRequests), legend: 'gateway 4xx (rejected input)' },
        { expr: ratio(`${m.relayRequests}{status=~"5.."}`, m.relayRequests), legend: 'relay 5xx' },
        { expr: ratio(`${m.writerEvents}{outcome!="accepted"}`, m.writerEvents), legend: 'writer failures' },
        { expr: ratio(`${m.produceDuration}_count{outcome="error"}`, `${m.produceDuration}_count`), legend: 'Kafka produce errors' },
      ],
    },
    'Dead-lettered records': {
      unit: 'short',
      series: [{ expr: `sum(${m.consumerEvents}{outcome="dead_letter"}) or vector(0)`, legend: 'dead letters' }],
    },
    'Redeliveries ignored (duplicates)': {
      unit: 'short',
      series: [{ expr: `sum(${m.consumerEvents}{outcome="duplicate"}) or vector(0)`, legend: 'duplicates' }],
    },
    'Gateway requests in flight': {
      unit: 'short',
      series: [{ expr: `sum(${m.gatewayInFlight})`, legend: 'in flight' }],
    },
  };
}

function targets(datasource: DatasourceRef, series: readonly Series[]): prometheus.DataqueryBuilder[] {
  return series.map((s, i) =>
    new prometheus.DataqueryBuilder()
      .refId(String.fromCharCode(65 + i))
      .datasource(datasource)
      .expr(s.expr)
      .legendFormat(s.legend)
      .range(),
  );
}

/** Pipeline health from the apps' Prometheus metrics: throughput per stage, p99 per hop, lag, errors. */
export function pipelineDashboard(options: { readonly prometheus?: DatasourceRef } = {}): Record<string, unknown> {
  const datasource = options.prometheus ?? PROMETHEUS_DATASOURCE;
  const legend = () => new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).calcs([]);
  const chart = (title: string, w: number): SizedPanel => {
    const { unit, series } = pipelineSeries()[title];
    const panel = new timeseries.PanelBuilder().title(title).datasource(datasource).targets(targets(datasource, series)).unit(unit).legend(legend());
    return { panel, w, h: 9 };
  };
  const number = (title: string): SizedPanel => {
    const { unit, series } = pipelineSeries()[title];
    const panel = new stat.PanelBuilder()
      .title(title)
      .datasource(datasource)
      .targets(targets(datasource, series))
      .unit(unit)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .graphMode(common.BigValueGraphMode.Area);
    return { panel, w: 8, h: 5 };
  };
  const dashboard = new DashboardBuilder('Oleada — pipeline health')
    .uid(PIPELINE_DASHBOARD_UID)
    .description('Throughput per stage, p99 latency per hop, freshness, consumer lag, dead letters and error rates (Prometheus).')
    .tags(['oleada', 'pipeline'])
    .timezone('browser')
    .time({ from: 'now-30m', to: 'now' })
    .refresh('10s')
    .readonly();
  return toJson(
    placePanels(dashboard, [
      chart('Events per second by stage', 12),
      chart('p99 latency per hop', 12),
      chart('Freshness: gateway accepted → Valkey applied', 12),
      chart('Consumer lag', 12),
      chart('Error rates', 12),
      number('Dead-lettered records'),
      number('Redeliveries ignored (duplicates)'),
      number('Gateway requests in flight'),
    ]),
  );
}
