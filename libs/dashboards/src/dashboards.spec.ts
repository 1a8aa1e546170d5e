import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { METRIC_NAMES } from '@oleada/shared';
import { SCENARIOS, type AnyScenario } from '@oleada/scenarios';
import { ScenarioKeys, type Aggregate } from '@oleada/valkey-schema';
import { dashboardsFor } from './dashboards';
import { grafanaDatasources, PROMETHEUS_DATASOURCE, VALKEY_DATASOURCE } from './datasources';
import { checkDashboard, isRedisQuery, parseDashboard, type PanelModel } from './model';
import { pipelineSeries } from './pipeline-dashboard';
import { CATEGORY_VARIABLE, headlineOf, scenarioDashboard } from './scenario-dashboard';

/**
 * The dashboards' JSON: well formed for Grafana (structure, ids, grid, data sources), derived from
 * the scenario definitions and key builders, and equal to the committed snapshots in
 * libs/dashboards/snapshots/. Accept a change with
 *   UPDATE_SNAPSHOTS=1 node --test libs/dashboards/dist/dashboards.spec.js
 */
const SNAPSHOTS = join(__dirname, '..', 'snapshots');

type Json = Record<string, unknown>;

/** A made-up scenario using every aggregate kind, so the builder is proven generic. */
interface Reading {
  readonly site: string;
  readonly kind: string;
  readonly grams: number;
}
const SITES = ['north', 'south', 'east'];
const KINDS = ['a', 'b'];
const probe: AnyScenario = {
  ...SCENARIOS[0],
  name: 'probe',
  title: 'Probe',
  description: 'Every aggregate kind',
  aggregates: [
    { kind: 'counter', metric: 'count', title: 'Readings', unit: 'readings', by: () => 1 },
    { kind: 'hash', metric: 'by_site', title: 'Readings per site', unit: 'readings', fields: SITES, field: (r) => r.site, by: () => 1 },
    { kind: 'hash', metric: 'by_kind', title: 'Per kind', fields: KINDS, field: (r) => r.kind, by: () => 1, group: { values: SITES, of: (r) => r.site } },
    { kind: 'mean', metric: 'weight', title: 'Mean weight', unit: 'kg', scale: 1000, fields: SITES, field: (r) => r.site, value: (r) => r.grams },
    { kind: 'max', metric: 'heaviest', title: 'Heaviest', unit: 'kg', scale: 1000, fields: SITES, field: (r) => r.site, value: (r) => r.grams },
    { kind: 'zset', metric: 'top_sites', title: 'Top sites', member: (r) => r.site, by: (r) => r.grams },
    { kind: 'bucket', metric: 'per_minute', title: 'Readings per minute', fields: SITES, field: (r) => r.site, by: () => 1 },
  ] satisfies Aggregate<Reading>[],
  headline: 'by_site',
};

const panelsOf = (json: Json) => json.panels as PanelModel[];

describe('scenario dashboards', () => {
  for (const scenario of [...SCENARIOS, probe]) {
    it(`${scenario.name}: well formed, the headline first, every key from the key builders`, () => {
      const json = scenarioDashboard(scenario);
      assert.deepEqual(checkDashboard(json), []);
      const dashboard = parseDashboard(json);
      assert.equal(dashboard.uid, `oleada-${scenario.name}`);
      const keys = new ScenarioKeys(scenario.name);
      const headline = dashboard.panels[0];
      assert.equal(headline.type, 'barchart');
      assert.deepEqual(
        headline.targets.map((t) => isRedisQuery(t) && t.keyName),
        [keys.metric(scenario.headline)],
      );
      const allowed = new Set<string>();
      for (const a of scenario.aggregates as Aggregate<unknown>[]) {
        if (a.kind === 'bucket') allowed.add(keys.series(a.metric));
        else if (a.kind === 'hash' && a.group) a.group.values.forEach((g) => allowed.add(keys.metric(a.metric, g)));
        else allowed.add(keys.metric(a.metric));
      }
      const read = dashboard.panels.flatMap((p) => p.targets.map((t) => (isRedisQuery(t) ? t.keyName : '')));
      assert.deepEqual([...new Set(read)].sort(), [...allowed].sort(), 'one panel per aggregate key, no other key');
      for (const panel of dashboard.panels) {
        assert.deepEqual(panel.datasource, VALKEY_DATASOURCE, panel.title);
        assert.ok(panel.description?.includes(isRedisQuery(panel.targets[0]) ? panel.targets[0].keyName : '?'), `${panel.title} names its command and key`);
      }
      assert.deepEqual(
        dashboard.templating?.list?.map((v) => [v.name, v.type, v.query]),
        [[CATEGORY_VARIABLE, 'custom', headlineOf(scenario).fields.join(',')]],
      );
    });
  }

  it('money in cents is shown in quetzales: divided by the aggregate scale, with a currency unit', () => {
    const revenue = panelsOf(scenarioDashboard(SCENARIOS[0])).find((p) => p.title === 'Revenue per category');
    assert.ok(revenue);
    assert.equal(revenue.fieldConfig?.defaults?.unit, 'currency:Q');
    assert.equal(revenue.fieldConfig?.defaults?.decimals, 2);
    const scale = revenue.transformations?.find((t) => t.id === 'calculateField');
    assert.deepEqual(scale?.options.binary.right, { fixed: '100' });
  });

  it('the top products come highest first from ZRANGE … REV WITHSCORES', () => {
    const top = panelsOf(scenarioDashboard(SCENARIOS[0])).find((p) => p.title === 'Top products by units');
    const target = top?.targets[0];
    assert.ok(target && isRedisQuery(target));
    assert.deepEqual([target.command, target.min, target.max, target.zrangeQuery], ['zrange', '0', '9', 'REV']);
  });

  it('reads another namespace or variant when told to (tests), never a restated key', () => {
    const keys = new ScenarioKeys('blackfriday', { variant: 'probe' });
    const json = scenarioDashboard(SCENARIOS[0], { keys });
    const read = panelsOf(json).flatMap((p) => p.targets.map((t) => (isRedisQuery(t) ? t.keyName : '')));
    assert.ok(read.every((k) => k.startsWith(`${keys.prefix}:`)), read.join(', '));
  });

  it('refuses a scenario whose headline is not a plain hash', () => {
    assert.throws(() => scenarioDashboard({ ...probe, headline: 'count' }), /headline "count" must name an ungrouped hash/);
    assert.throws(() => scenarioDashboard({ ...probe, headline: 'nope' }), /headline "nope"/);
  });
});

describe('the structural check', () => {
  const good = () => JSON.parse(JSON.stringify(scenarioDashboard(SCENARIOS[0]))) as Json;
  const broken: Array<[string, (d: Json) => void, RegExp]> = [
    ['no uid', (d) => delete d.uid, /uid/],
    ['a duplicate panel id', (d) => ((panelsOf(d)[1] as { id: number }).id = 1), /id 1 repeated/],
    ['an unknown panel type', (d) => ((panelsOf(d)[0] as { type: string }).type = 'graph'), /type graph unknown/],
    ['overlapping panels', (d) => ((panelsOf(d)[1] as { gridPos: Json }).gridPos = { ...panelsOf(d)[0].gridPos }), /overlaps panel 0/],
    ['a panel beyond 24 columns', (d) => ((panelsOf(d)[0] as { gridPos: Json }).gridPos = { x: 20, y: 0, w: 12, h: 9 }), /outside the 24-column grid/],
    ['a query without a key', (d) => delete (panelsOf(d)[0].targets[0] as Json).keyName, /keyName missing/],
    ['a query on another data source', (d) => ((panelsOf(d)[0].targets[0] as Json).datasource = PROMETHEUS_DATASOURCE), /datasource differs/],
    ['an unsupported command', (d) => ((panelsOf(d)[0].targets[0] as Json).command = 'keys'), /command keys/],
    ['an unknown transformation', (d) => (panelsOf(d)[0].transformations as unknown[]).push({ id: 'merge', options: {} }), /transformation .* unknown/],
  ];
  for (const [name, breakIt, problem] of broken) {
    it(`finds ${name}`, () => {
      const json = good();
      assert.deepEqual(checkDashboard(json), []);
      breakIt(json);
      assert.match(checkDashboard(json).join('\n'), problem);
      assert.throws(() => parseDashboard(json), /malformed dashboard/);
    });
  }
});

describe('pipeline health dashboard', () => {
  it('queries Prometheus for the metric names the apps register', () => {
    const files = dashboardsFor(SCENARIOS);
    const pipeline = files.find((f) => f.name === 'pipeline');
    assert.ok(pipeline);
    assert.deepEqual(checkDashboard(pipeline.json), []);
    const exprs = panelsOf(pipeline.json).flatMap((p) => {
      assert.deepEqual(p.datasource, PROMETHEUS_DATASOURCE);
      return p.targets.map((t) => (t as { expr: string }).expr);
    });
    const used = new Set(exprs.flatMap((e) => e.match(/oleada_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    const known = new Set<string>(Object.values(METRIC_NAMES));
    assert.deepEqual([...used].filter((n) => !known.has(n)), [], 'every metric queried is one the apps register');
    for (const name of ['gatewayEvents', 'writerEvents', 'consumerEvents', 'consumerLag', 'gatewayRequestDuration', 'relayGrpcDuration', 'produceDuration', 'valkeyApplyDuration', 'consumerFreshness'] as const) {
      assert.ok(used.has(METRIC_NAMES[name]), `${METRIC_NAMES[name]} is on the dashboard`);
    }
    assert.ok(Object.keys(pipelineSeries()).includes('Dead-lettered records'));
  });

  it('one file per scenario plus the pipeline, named for ConfigMap keys', () => {
    const files = dashboardsFor(SCENARIOS);
    assert.deepEqual(
      files.map((f) => f.name),
      [...SCENARIOS.map((s) => s.name), 'pipeline'],
    );
    for (const f of files) assert.match(f.name, /^[a-z][a-z0-9-]*$/);
    assert.equal(new Set(files.map((f) => f.uid)).size, files.length, 'unique uids');
  });
});

describe('data sources', () => {
  it('the Valkey replica with a read-only user whose password Grafana takes from its environment, and Prometheus', () => {
    const provisioning = grafanaDatasources({
      valkeyReplicaHost: 'valkey-replica.oleada.svc.cluster.local',
      valkeyUsername: 'grafana',
      prometheusUrl: 'http://prometheus.monitoring.svc:9090',
    });
    const [valkey, prometheus] = provisioning.datasources as Json[];
    assert.equal(valkey.type, 'redis-datasource');
    assert.equal(valkey.uid, VALKEY_DATASOURCE.uid);
    assert.equal(valkey.url, 'redis://valkey-replica.oleada.svc.cluster.local:6379');
    assert.deepEqual((valkey.jsonData as Json).user, 'grafana');
    assert.deepEqual(valkey.secureJsonData, { password: '$OLEADA_VALKEY_PASSWORD' });
    assert.equal(prometheus.type, 'prometheus');
    assert.equal(prometheus.uid, PROMETHEUS_DATASOURCE.uid);
    assert.equal(prometheus.url, 'http://prometheus.monitoring.svc:9090');
    assert.throws(() => grafanaDatasources({ valkeyReplicaHost: 'x', valkeyUsername: 'g', prometheusUrl: 'http://p', valkeyPasswordEnv: 'secret!' }), /not an environment variable/);
  });
});

describe('snapshots (libs/dashboards/snapshots)', () => {
  it('every dashboard equals its committed JSON', () => {
    const files = dashboardsFor(SCENARIOS);
    const rendered = Object.fromEntries(files.map((f) => [`${f.name}.json`, `${JSON.stringify(f.json, null, 2)}\n`]));
    if (process.env.UPDATE_SNAPSHOTS === '1') {
      rmSync(SNAPSHOTS, { recursive: true, force: true });
      mkdirSync(SNAPSHOTS, { recursive: true });
      for (const [name, text] of Object.entries(rendered)) writeFileSync(join(SNAPSHOTS, name), text);
      return;
    }
    assert.ok(existsSync(SNAPSHOTS), `no snapshots in ${SNAPSHOTS}: run with UPDATE_SNAPSHOTS=1 and commit them`);
    assert.deepEqual(readdirSync(SNAPSHOTS).sort(), Object.keys(rendered).sort(), 'the snapshot files are the dashboards');
    for (const [name, text] of Object.entries(rendered)) {
      const committed = readFileSync(join(SNAPSHOTS, name), 'utf8');
      if (committed === text) continue;
      const a = committed.split('\n');
      const b = text.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      assert.fail(`${name} drifted from its snapshot (UPDATE_SNAPSHOTS=1 to accept) at line ${line + 1}:\n  snapshot: ${a[line]}\n  now:      ${b[line]}`);
    }
  });
});
