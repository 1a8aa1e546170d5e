import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alertRuleGroups, dashboardsFor, parseDashboard, pipelineSeries, type DashboardModel } from '@oleada/dashboards';
import { LocalStack, postEvents, repoRoot, TEST_STACK_ENV, testConsumerCredential, testServers, testValkey, totalMetric, waitCounted } from '@oleada/local';
import { blackfridayScenario as scenario, canonicalRoute, seededRandom } from '@oleada/scenarios';
import { METRIC_NAMES } from '@oleada/shared';
import { readCounter, ScenarioKeys } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';
import { evaluateDashboard, type PanelResult } from './panels';

/**
 * Sales sent through the whole chain (gateway → relay → writers → Kafka → consumer → Valkey, each a
 * real process) move every Black Friday panel by exactly what was accepted; and every metric the
 * pipeline dashboard and the alert rules query is one the running apps export, with the label
 * values they filter on.
 */
const EVENTS = 150;
/**
 * This suite's stack ports: 18080 + 600 … (docs/architecture.md), clear of a developer's stack, the
 * other suites' stacks (offsets 300-500) and Kafka (19092/19093: writers' HTTP ports are 18091+offset).
 */
const PORT_OFFSET = 600;

/** label → value of a bar panel, or { total } of a stat, or minute → value of the per-minute bars. */
function valuesOf(result: PanelResult): Record<string, number> {
  assert.equal(result.error, undefined, `${result.panel.title}: ${result.error}`);
  const view = result.view;
  if (view?.kind === 'bars') return Object.fromEntries(view.labels.map((l, i) => [l, view.values[i] ?? 0]));
  if (view?.kind === 'stat') return { total: view.value ?? 0 };
  if (view?.kind === 'timebars') return Object.fromEntries(view.times.map((t, i) => [String(t), view.values[i] ?? 0]));
  return {};
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = Math.round((v - (before[k] ?? 0)) * 100) / 100;
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Series of a Prometheus text exposition: `# TYPE` names and sample lines. */
async function scrape(port: number): Promise<{ types: Set<string>; samples: string[] }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lines = text.split('\n');
  const types = new Set(lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
  return { types, samples: lines.filter((l) => l && !l.startsWith('#')) };
}

describe('the Black Friday dashboard after sales through the whole chain', () => {
  let stack: LocalStack;
  let valkey: Valkey;
  let dashboard: DashboardModel;

  before(async () => {
    const { kafkaBrokers, valkeyUrl } = testServers();
    valkey = await testValkey();
    stack = new LocalStack({ kafkaBrokers, valkeyUrl, valkeyCredential: testConsumerCredential(), portOffset: PORT_OFFSET, logDir: join(repoRoot(), '.cache/run/logs-dashboard'), env: TEST_STACK_ENV });
    await stack.start();
    await stack.waitCaughtUp();
    const [file] = dashboardsFor([scenario], { pipeline: false });
    dashboard = parseDashboard(file.json);
  });

  after(async () => {
    valkey?.disconnect();
    if (stack) {
      const codes = await stack.stop();
      assert.deepEqual(Object.values(codes).filter((c) => c !== 0), [], `every app exits 0: ${JSON.stringify(codes)}`);
    }
  });

  it('moves every panel by exactly the accepted sales', async () => {
    const keys = new ScenarioKeys(scenario.name);
    const baseline = await readCounter(valkey, keys.metric(totalMetric(scenario)));
    const before = await evaluateDashboard(valkey, dashboard);
    const random = seededRandom(1128);
    const bodies = Array.from({ length: EVENTS }, () => scenario.sample(random));
    const sent = await postEvents({ baseUrl: stack.gatewayUrl, path: canonicalRoute(scenario), bodies, concurrency: 16 });
    const accepted = bodies.filter((_, i) => sent.results.find((r) => r.index === i)?.status === 202);
    assert.equal(accepted.length, EVENTS, 'every sale accepted');
    const { counted } = await waitCounted(valkey, scenario, baseline, EVENTS, { settleMs: 1000 });
    assert.equal(counted, EVENTS, 'accepted == counted');
    const afterResults = await evaluateDashboard(valkey, dashboard);

    const expected = { reports: {} as Record<string, number>, units: {} as Record<string, number>, revenue: {} as Record<string, number> };
    for (const body of accepted) {
      const r = scenario.decode(scenario.encode(scenario.toMessage(body)), { eventId: '', acceptedAt: 0, topic: '' });
      expected.reports[r.categoria] = (expected.reports[r.categoria] ?? 0) + 1;
      expected.units[r.categoria] = (expected.units[r.categoria] ?? 0) + r.quantity;
      expected.revenue[r.categoria] = Math.round(((expected.revenue[r.categoria] ?? 0) + (r.priceCents * r.quantity) / 100) * 100) / 100;
    }
    const moved = (title: string) => {
      const i = dashboard.panels.findIndex((p) => p.title === title);
      assert.ok(i >= 0, `no panel "${title}"`);
      return delta(valuesOf(afterResults[i]), valuesOf(before[i]));
    };
    assert.deepEqual(moved('Reports per category'), expected.reports);
    assert.deepEqual(moved('Units sold per category'), expected.units);
    assert.deepEqual(moved('Revenue per category'), expected.revenue);
    assert.deepEqual(moved('Total sales events'), { total: EVENTS });
    const perMinute = Object.values(moved('Reports per minute')).filter((d) => d > 0);
    assert.equal(
      perMinute.reduce((s, d) => s + d, 0),
      EVENTS,
      'the per-minute bars grew by the sales',
    );
  });

  it('every metric the pipeline dashboard queries is exported by the running apps', async () => {
    const scraped = await Promise.all(stack.apps.map((app) => scrape(app.spec.port)));
    const types = new Set(scraped.flatMap((s) => [...s.types]));
    const samples = scraped.flatMap((s) => s.samples);
    const exprs = Object.values(pipelineSeries()).flatMap((panel) => panel.series.map((s) => s.expr));
    for (const expr of exprs) {
      for (const [, name, suffix] of expr.matchAll(/(oleada_[a-z_]+?)(_bucket|_count|_sum)?\b/g)) {
        assert.ok(types.has(name), `${name} (in ${expr}) is not exported by any app`);
        if (suffix) assert.ok(samples.some((l) => l.startsWith(`${name}${suffix}`)), `${name}${suffix} has no sample`);
      }
    }
    // Label values the dashboard filters on, as set by the apps after this run's traffic.
    for (const [metric, label] of [
      [METRIC_NAMES.gatewayEvents, 'outcome="accepted"'],
      [METRIC_NAMES.relayRequests, 'status="202"'],
      [METRIC_NAMES.writerEvents, 'outcome="accepted"'],
      [METRIC_NAMES.consumerEvents, 'outcome="applied"'],
    ]) {
      assert.ok(exprs.some((e) => e.includes(metric) && e.includes(label)), `the dashboard filters ${metric} on ${label}`);
      assert.ok(samples.some((l) => l.startsWith(`${metric}{`) && l.includes(label)), `${metric}{${label}} is exported`);
    }
  });

  it('every series an alert rule selects exists in the running apps (error and dead-letter series at 0)', async () => {
    const scraped = await Promise.all(stack.apps.map((app) => scrape(app.spec.port)));
    const samples = scraped.flatMap((s) => s.samples);
    for (const rule of alertRuleGroups().flatMap((g) => g.rules)) {
      for (const [selector, name, matchers] of rule.expr.matchAll(/(oleada_[a-z_]+)\{([^}]*)\}/g)) {
        // Exact matchers only: `job` is the scrape's label, a regex (`status=~"5.."`) may rightly match nothing yet.
        const exact = [...matchers.matchAll(/(\w+)="([^"]*)"/g)].filter(([, label]) => label !== 'job').map(([, label, value]) => `${label}="${value}"`);
        assert.ok(
          samples.some((l) => l.startsWith(`${name}{`) && exact.every((m) => l.includes(m))),
          `${rule.alert}: no app exports ${selector}`,
        );
      }
    }
  });
});
