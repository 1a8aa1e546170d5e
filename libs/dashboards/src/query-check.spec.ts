import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { parseDashboard } from './model';
import { ACCEPTED_SERIES, pipelineDashboard, pipelineSeries } from './pipeline-dashboard';
import {
  checkDashboardQueries,
  compareWithLocust,
  formatDuration,
  grafanaIntervals,
  judge,
  locustAcceptedRate,
  parseDuration,
  PrometheusApi,
  prometheusQueries,
  renderLegend,
  substitute,
  variableValues,
  withinShare,
} from './query-check';

describe('dashboard query check: Grafana substitutions', () => {
  it('computes the pipeline dashboard intervals as Grafana does (30 min range, 15 s scrape interval)', () => {
    const i = grafanaIntervals({ rangeMs: 30 * 60_000, scrapeIntervalMs: 15_000 });
    assert.deepEqual(i, { intervalMs: 15_000, rateIntervalMs: 60_000, rangeMs: 1_800_000 });
    // a long range: the interval grows with it, and $__rate_interval is the interval plus one scrape
    const day = grafanaIntervals({ rangeMs: 24 * 3_600_000, scrapeIntervalMs: 15_000 });
    assert.equal(day.intervalMs, 60_000);
    assert.equal(day.rateIntervalMs, 75_000);
  });

  it('substitutes every variable form and refuses an unknown one', () => {
    const i = { intervalMs: 15_000, rateIntervalMs: 60_000, rangeMs: 1_800_000 };
    assert.equal(substitute('rate(x[$__rate_interval]) / $__range_s', i), 'rate(x[1m]) / 1800');
    assert.equal(substitute('x{a="$a", b="${b}", c="${c:raw}", d="[[d]]"}[$__interval]', i, { a: '1', b: '2', c: '3', d: '4' }), 'x{a="1", b="2", c="3", d="4"}[15s]');
    assert.throws(() => substitute('x{a="$missing"}', i), /unknown variable \$missing/);
  });

  it('takes a variable’s current value, else its first option', () => {
    assert.deepEqual(
      variableValues([
        { type: 'custom', name: 'a', query: 'x,y' },
        { type: 'custom', name: 'b', query: 'One : 1, Two : 2' },
        { type: 'custom', name: 'c', query: 'x,y', current: { value: 'y' } },
        { type: 'constant', name: 'd', query: 'k' },
      ]),
      { a: 'x', b: '1', c: 'y', d: 'k' },
    );
    assert.throws(() => variableValues([{ type: 'query', name: 'q', query: 'label_values(up, job)' }]), /variable q: type query/);
  });

  it('durations both ways', () => {
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(135_000), '135s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.throws(() => parseDuration('fast'), /not a duration/);
  });

  it('finds every Prometheus query of the pipeline dashboard, by panel', () => {
    const queries = prometheusQueries(parseDashboard(pipelineDashboard()));
    const expected = Object.entries(pipelineSeries()).flatMap(([panel, { series }]) => series.map((s) => ({ panel, expr: s.expr })));
    assert.deepEqual(
      queries.map((q) => ({ panel: q.panel, expr: q.expr })),
      expected,
    );
    assert.ok(queries.some((q) => q.panel === ACCEPTED_SERIES.panel && q.legend === ACCEPTED_SERIES.legend));
  });

  it('judges an answer: a series with a number is data, NaN alone is not', () => {
    const q = { dashboard: 'd', panel: 'p', refId: 'A', legend: '{{topic}}', expr: 'x' };
    const ok = judge(q, 'x', [{ metric: { topic: 't' }, values: [[1, 2], [2, Number.NaN], [3, 5]] }]);
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.last, [{ series: 't', at: 3, value: 5, max: 5 }]);
    assert.deepEqual(judge(q, 'x', [{ metric: { topic: 't' }, values: [[1, 7], [2, 0]] }]).last, [{ series: 't', at: 2, value: 0, max: 7 }], 'a rate back to 0 after the load keeps its peak');
    assert.equal(judge(q, 'x', []).problem, 'no data (no series)');
    assert.equal(judge(q, 'x', [{ metric: {}, values: [[1, Number.NaN]] }]).ok, false);
    assert.equal(renderLegend('{{ a }}-{{b}}', { a: '1', b: '2' }), '1-2');
  });

  it("reads Locust's accepted rate over a window from its stats history", () => {
    const header = 'Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,Total Request Count,Total Failure Count,Total Median Response Time';
    const rows = [
      '1000,60,,Aggregated,0,0,N/A,0,0,0',
      '1000,60,POST,/api/v1/x/events,0,0,N/A,0,0,0',
      '1030,60,,Aggregated,100,0,12,3000,10,12',
      '1060,60,,Aggregated,100,1,12,6100,20,12',
      '1090,60,,Aggregated,100,1,12,9100,20,12',
    ];
    const csv = [header, ...rows].join('\n');
    assert.deepEqual(locustAcceptedRate(csv, 1090_000, 60_000), { rate: (9080 - 2990) / 60, fromS: 1030, toS: 1090 });
    assert.equal(locustAcceptedRate(csv, 2000_000, 60_000), undefined, 'the history ends long before');
    // the window begins before Locust did: nothing accepted before its first row
    assert.deepEqual(locustAcceptedRate(csv, 1030_000, 60_000), { rate: 2990 / 60, fromS: 970, toS: 1030 });
    assert.equal(locustAcceptedRate([header, ...rows.slice(2)].join('\n'), 1060_000, 60_000), undefined, 'the history starts inside the window, not at 0');
    assert.throws(() => locustAcceptedRate('Timestamp,Name\n1,Aggregated', 1_000, 1_000), /Total Request Count/);
    // point by point over the same windows, averaged over the points the history covers
    const compared = compareWithLocust(
      [
        [960, 1],
        [1060, 100],
        [1090, 102],
        [1100, Number.NaN],
      ],
      csv,
      60_000,
    );
    assert.deepEqual(compared, { points: 2, fromS: 1060, toS: 1090, prometheus: 101, locust: ((6080 - 0) / 60 + (9080 - 2990) / 60) / 2 });
    // a window reaching back before Locust's first row is left out
    assert.deepEqual(compareWithLocust([[1059, 7], [1090, 102]], csv, 60_000), { points: 1, fromS: 1090, toS: 1090, prometheus: 102, locust: (9080 - 2990) / 60 });
    assert.equal(compareWithLocust([[500, 1]], csv, 60_000), undefined);
    assert.equal(withinShare(95, 100, 0.1), true);
    assert.equal(withinShare(85, 100, 0.1), false);
  });
});

/**
 * Against a real Prometheus (the binary tools/cluster/build.sh builds, beside promtool): it scrapes
 * a small HTTP server of this test every second, and the checker's queries go through its HTTP API.
 */
describe('dashboard query check against a real Prometheus', () => {
  const cacheDir = process.env.OLEADA_CLUSTER_CACHE ?? '/var/cache/oleada-cluster';
  const PROMETHEUS = process.env.PROMETHEUS ?? join(cacheDir, 'bin', 'prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'oleada-query-check-'));
  let metrics: Server;
  let prometheus: ChildProcess;
  let api: PrometheusApi;
  let scrapes = 0;

  const freePort = () =>
    new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });

  before(async () => {
    try {
      accessSync(PROMETHEUS, constants.X_OK);
    } catch {
      assert.fail(`prometheus not found at ${PROMETHEUS}: run \`bash tools/cluster/build.sh prometheus\` or set PROMETHEUS`);
    }
    // the counter grows by 10 per scrape
    metrics = createServer((_req, res) => {
      scrapes++;
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(`# TYPE probe_events_total counter\nprobe_events_total{outcome="accepted"} ${10 * scrapes}\nprobe_events_total{outcome="rejected"} 0\n`);
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(metrics.address() as AddressInfo).port}`;
    const port = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), stringify({ global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [{ job_name: 'probe', static_configs: [{ targets: [target] }] }] }));
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    api = new PrometheusApi(`http://127.0.0.1:${port}`);
    // ready once the counter has a few samples (a rate needs two)
    for (let i = 0; ; i++) {
      const series = await api.queryRange('count_over_time(probe_events_total{outcome="accepted"}[1m])', Date.now() - 1000, Date.now(), 1000).catch(() => []);
      if ((series[0]?.values.at(-1)?.[1] ?? 0) >= 4) break;
      assert.ok(i < 600, 'Prometheus did not scrape the probe within a minute');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (metrics?.listening) await new Promise((r) => metrics.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const dashboard = (exprs: Record<string, string>) =>
    parseDashboard({
      uid: 'probe',
      title: 'Probe',
      schemaVersion: 41,
      time: { from: 'now-5m', to: 'now' },
      templating: { list: [{ type: 'custom', name: 'outcome', query: 'accepted,rejected' }] },
      panels: Object.entries(exprs).map(([title, expr], i) => ({
        id: i + 1,
        type: 'timeseries',
        title,
        datasource: { type: 'prometheus', uid: 'p' },
        gridPos: { x: 0, y: i * 8, w: 12, h: 8 },
        targets: [{ refId: 'A', datasource: { type: 'prometheus', uid: 'p' }, expr, legendFormat: '{{outcome}}' }],
      })),
    });

  it('runs each query with its variables substituted: data passes, an empty answer or a refused query fails naming its panel', async () => {
    const outcomes = await checkDashboardQueries(
      api,
      dashboard({
        'Accepted per second': 'sum by (outcome) (rate(probe_events_total{outcome="$outcome"}[$__rate_interval]))',
        'A metric nobody exports': 'sum(rate(probe_missing_total[$__rate_interval]))',
        'Not PromQL': 'sum(rate(probe_events_total[$__rate_interval])',
      }),
      { scrapeIntervalMs: 1000 },
    );
    const [accepted, missing, broken] = outcomes;
    assert.equal(accepted.sent, 'sum by (outcome) (rate(probe_events_total{outcome="accepted"}[4s]))');
    assert.equal(accepted.ok, true, accepted.problem);
    assert.equal(accepted.last[0].series, 'accepted');
    assert.ok(accepted.last[0].value > 0, `a growing counter has a positive rate (${accepted.last[0].value})`);
    assert.equal(missing.ok, false);
    assert.equal(missing.query.panel, 'A metric nobody exports');
    assert.equal(missing.problem, 'no data (no series)');
    assert.equal(broken.ok, false);
    assert.match(broken.problem ?? '', /bad_data/);
  });
});
