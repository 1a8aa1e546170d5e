import type { BenchReport } from './model';

/** A Vega-Lite specification (JSON). */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 360;
const HEIGHT = 220;

/** Renders a Vega-Lite spec to SVG in Node, without a browser. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // Both packages are ES modules; this project compiles to CommonJS, so they load dynamically.
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? Number(v.toFixed(2)) : null);

function chart(title: string, panels: VegaLiteSpec[]): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, anchor: 'start', fontSize: 14 },
    hconcat: panels,
    // Each panel has its own series: its own colours and legend.
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: { view: { stroke: '#ddd' }, font: 'sans-serif', axis: { labelLimit: 260 } },
  };
}

function panel(title: string, values: object[], layerOrMark: VegaLiteSpec): VegaLiteSpec {
  return { title, width: WIDTH, height: HEIGHT, data: { values }, ...layerOrMark };
}

/** (a) Throughput, latency and lag over the offered rates. */
export function sweepChart(report: BenchReport): VegaLiteSpec | undefined {
  if (report.sweep.length === 0) return undefined;
  const rate = { field: 'offered', type: 'quantitative', title: 'offered events/s' };
  const throughput = report.sweep.flatMap((r) => [
    { offered: r.offeredRate, series: 'offered', value: r.offeredRate },
    { offered: r.offeredRate, series: 'accepted (202)', value: finite(r.acceptedRate) },
    { offered: r.offeredRate, series: 'counted in Valkey', value: finite(r.endToEndRate) },
  ]);
  const latency = report.sweep.flatMap((r) => [
    { offered: r.offeredRate, series: 'p50', value: finite(r.load.latency.p50) },
    { offered: r.offeredRate, series: 'p95', value: finite(r.load.latency.p95) },
    { offered: r.offeredRate, series: 'p99', value: finite(r.load.latency.p99) },
  ]);
  const lag = report.sweep.map((r) => ({ offered: r.offeredRate, value: finite(r.lag.max) }));
  const lines = (y: string, log = false): VegaLiteSpec => ({
    mark: { type: 'line', point: true },
    encoding: {
      x: rate,
      y: { field: 'value', type: 'quantitative', title: y, ...(log ? { scale: { type: 'log' } } : {}) },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top-left' } },
    },
  });
  return chart(`(a) Kafka path under an offered-rate sweep (${report.scenario})`, [
    panel('throughput', throughput, lines('events/s')),
    panel('gateway latency (from when each request was due)', latency, {
      layer: [lines('ms', true), { data: { values: [{ target: 50 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' }, encoding: { y: { field: 'target', type: 'quantitative' } } }],
    }),
    panel('consumer lag (max records behind)', lag, { mark: { type: 'bar' }, encoding: { x: { ...rate, type: 'ordinal' }, y: { field: 'value', type: 'quantitative', title: 'records' } } }),
  ]);
}

/** CPU per event and RSS of every process at saturation, plus the bare server as the upper bound. */
export function processChart(report: BenchReport): VegaLiteSpec | undefined {
  const run = report.sustained;
  if (!run) return undefined;
  const cpu = run.processes.map((p) => ({ process: p.name, value: finite(p.cpuMsPerEvent) }));
  const rss = run.processes.map((p) => ({ process: p.name, value: finite(p.rssMaxMiB) }));
  const bars = (x: string): VegaLiteSpec => ({
    mark: { type: 'bar' },
    encoding: { y: { field: 'process', type: 'nominal', sort: null, title: null }, x: { field: 'value', type: 'quantitative', title: x } },
  });
  const throughput = [
    { what: 'bare Node HTTP (1 hop)', value: finite(report.bare?.requestsPerSecond) },
    { what: 'Oleada (whole chain)', value: finite(run.acceptedRate) },
  ];
  return chart(`Saturation: ${run.connections} connections, ${run.load.seconds.toFixed(0)} s`, [
    panel('CPU per event (ms)', cpu, bars('CPU ms per event')),
    panel('peak RSS (MiB)', rss, {
      layer: [bars('MiB'), { data: { values: [{ limit: 200 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' }, encoding: { x: { field: 'limit', type: 'quantitative' } } }],
    }),
    panel('throughput vs the single-hop upper bound', throughput, {
      encoding: { y: { field: 'what', type: 'nominal', sort: null, title: null }, x: { field: 'value', type: 'quantitative', title: 'requests/s' } },
      layer: [{ mark: { type: 'bar' } }, { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { text: { field: 'value', type: 'quantitative', format: ',.0f' } } }],
    }),
  ]);
}

function barsByLabel(title: string, values: object[], x: string, unit: string): VegaLiteSpec {
  return panel(title, values, {
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null },
      x: { field: 'value', type: 'quantitative', title: unit },
      ...(x ? { color: { field: x, type: 'nominal', title: null, legend: { orient: 'bottom' } }, yOffset: { field: x } } : {}),
    },
  });
}

/** (b) Valkey with 0, 1, 2 replicas and WAIT 1. */
export function valkeyChart(report: BenchReport): VegaLiteSpec | undefined {
  if (report.valkey.length === 0) return undefined;
  const throughput = report.valkey.map((r) => ({ label: r.label, value: finite(r.eventsPerSecond) }));
  const latency = report.valkey.flatMap((r) => [
    { label: r.label, series: 'p50', value: finite(r.batchLatency.p50) },
    { label: r.label, series: 'p99', value: finite(r.batchLatency.p99) },
  ]);
  return chart('(b) Valkey: the aggregation function with replicas', [
    barsByLabel('events/s (applyBatch)', throughput, '', 'events/s'),
    barsByLabel('batch write latency', latency, 'series', 'ms'),
  ]);
}

/** (c) REST against gRPC, each hop alone. */
export function hopsChart(report: BenchReport): VegaLiteSpec | undefined {
  if (report.hops.length === 0) return undefined;
  const latency = report.hops.flatMap((r) => [
    { label: r.transport, series: 'p50', value: finite(r.latency.p50) },
    { label: r.transport, series: 'p99', value: finite(r.latency.p99) },
  ]);
  const cpu = report.hops.flatMap((r) => [
    { label: r.transport, series: 'client', value: finite(r.clientCpuUs) },
    { label: r.transport, series: 'server', value: finite(r.serverCpuUs) },
  ]);
  const throughput = report.hops.map((r) => ({ label: r.transport, value: finite(r.requestsPerSecond) }));
  return chart(`(c) REST vs gRPC hop, same event, ${report.hops[0].concurrency} calls in flight`, [
    barsByLabel('requests/s', throughput, '', 'requests/s'),
    barsByLabel('latency', latency, 'series', 'ms'),
    barsByLabel('CPU per request', cpu, 'series', 'µs'),
  ]);
}

function runComparison(title: string, runs: BenchReport['writers']): VegaLiteSpec | undefined {
  if (runs.length === 0) return undefined;
  const throughput = runs.flatMap((r) => [
    { label: r.label, series: 'accepted', value: finite(r.acceptedRate) },
    { label: r.label, series: 'counted', value: finite(r.endToEndRate) },
  ]);
  const latency = runs.flatMap((r) => [
    { label: r.label, series: 'p50', value: finite(r.load.latency.p50) },
    { label: r.label, series: 'p99', value: finite(r.load.latency.p99) },
  ]);
  return chart(title, [barsByLabel('events/s', throughput, 'series', 'events/s'), barsByLabel('gateway latency', latency, 'series', 'ms')]);
}

/** (d) One against two writer processes. */
export function writersChart(report: BenchReport): VegaLiteSpec | undefined {
  return runComparison('(d) Writer processes behind the relay (saturation)', report.writers);
}

/** (e) Kafka against RabbitMQ. */
export function brokersChart(report: BenchReport): VegaLiteSpec | undefined {
  return runComparison('(e) Kafka vs RabbitMQ (saturation)', report.brokers);
}

/** Every chart of the report, by file name. */
export function reportCharts(report: BenchReport): Array<{ file: string; spec: VegaLiteSpec }> {
  const all: Array<[string, VegaLiteSpec | undefined]> = [
    ['sweep.svg', sweepChart(report)],
    ['saturation.svg', processChart(report)],
    ['valkey-replicas.svg', valkeyChart(report)],
    ['rest-vs-grpc.svg', hopsChart(report)],
    ['writers.svg', writersChart(report)],
    ['brokers.svg', brokersChart(report)],
  ];
  return all.filter((entry): entry is [string, VegaLiteSpec] => entry[1] !== undefined).map(([file, spec]) => ({ file, spec }));
}
