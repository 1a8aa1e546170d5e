import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alertRuleGroups, dashboardsFor, parseDashboard, pipelineSeries, type DashboardModel } from '@oleada/dashboards';
import { LocalStack, postEvents, repoRoot, TEST_STACK_ENV, testConsumerCredential, testPortOffset, testServers, testValkey, totalMetric, waitCounted } from '@oleada/local';
import { blackfridayScenario as scenario, canonicalRoute, seededRandom } from '@oleada/scenarios';
import { METRIC_NAMES } from '@oleada/shared';
import { readCounter, ScenarioKeys } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';
import type { Page } from 'playwright-core';
import { openBrowser } from './browser';
import { evaluateDashboard, type PanelResult } from './panels';
import { DashboardCli } from './testing/dashboard-cli';

/**
 * Sales sent through the whole chain (gateway → relay → writers → Kafka → consumer → Valkey, each a
 * real process, Valkey requiring authentication as under `npm start`) move every Black Friday panel
 * by exactly what was accepted, both as computed and on the page `npm run dashboard` serves,
 * refreshing itself in Chromium; and every metric the pipeline dashboard and the alert rules query is one the
 * running apps export, with the label values they filter on.
 */
const EVENTS = 150;
/**
 * This suite's stack ports: 18080 + 600 … (docs/architecture.md), clear of a developer's stack, the
 * other suites' stacks (offsets 300-500) and Kafka (19092/19093: writers' HTTP ports are 18091+offset).
 */
const PORT_OFFSET = testPortOffset(600);
/** `npm run dashboard`'s port for this suite (its default is 18300). */
const DASHBOARD_PORT = testPortOffset(18900);

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

type Sale = ReturnType<typeof scenario.sample>;

/** How the accepted sales must move the per-category panels (as the consumer decodes them). */
function expectedMoves(accepted: readonly Sale[]): { reports: Record<string, number>; units: Record<string, number>; revenue: Record<string, number> } {
  const expected = { reports: {} as Record<string, number>, units: {} as Record<string, number>, revenue: {} as Record<string, number> };
  for (const body of accepted) {
    const r = scenario.decode(scenario.encode(scenario.toMessage(body)), { eventId: '', acceptedAt: 0, topic: '' });
    expected.reports[r.categoria] = (expected.reports[r.categoria] ?? 0) + 1;
    expected.units[r.categoria] = (expected.units[r.categoria] ?? 0) + r.quantity;
    expected.revenue[r.categoria] = Math.round(((expected.revenue[r.categoria] ?? 0) + (r.priceCents * r.quantity) / 100) * 100) / 100;
  }
  return expected;
}

/** Sends `count` sales through the gateway; all must be accepted, then counted in Valkey. Returns them. */
async function sellThroughGateway(stack: LocalStack, valkey: Valkey, count: number, seed: number): Promise<Sale[]> {
  const baseline = await readCounter(valkey, new ScenarioKeys(scenario.name).metric(totalMetric(scenario)));
  const random = seededRandom(seed);
  const bodies = Array.from({ length: count }, () => scenario.sample(random));
  const sent = await postEvents({ baseUrl: stack.gatewayUrl, path: canonicalRoute(scenario), bodies, concurrency: 16 });
  const accepted = bodies.filter((_, i) => sent.results.find((r) => r.index === i)?.status === 202);
  assert.equal(accepted.length, count, 'every sale accepted');
  const { counted } = await waitCounted(valkey, scenario, baseline, count, { settleMs: 1000 });
  assert.equal(counted, count, 'accepted == counted');
  return accepted;
}

/** Panel title → label → value of every panel, as evaluated. */
function byTitle(results: readonly PanelResult[]): Record<string, Record<string, number>> {
  return Object.fromEntries(results.map((r) => [r.panel.title, valuesOf(r)]));
}

/** The per-category panels, the total and the per-minute bars moved by exactly the accepted sales. */
function assertMovedBy(before: Record<string, Record<string, number>>, after: Record<string, Record<string, number>>, accepted: readonly Sale[]): void {
  const moved = (title: string) => {
    assert.ok(after[title], `no panel "${title}"`);
    return delta(after[title], before[title] ?? {});
  };
  const expected = expectedMoves(accepted);
  assert.deepEqual(moved('Reports per category'), expected.reports);
  assert.deepEqual(moved('Units sold per category'), expected.units);
  assert.deepEqual(moved('Revenue per category'), expected.revenue);
  assert.deepEqual(moved('Total sales events'), { total: accepted.length });
  // A bar may leave the 30-minute window meanwhile (a negative move); the new ones hold every sale.
  const perMinute = Object.values(moved('Reports per minute')).filter((d) => d > 0);
  assert.equal(
    perMinute.reduce((s, d) => s + d, 0),
    accepted.length,
    'the per-minute bars grew by the sales',
  );
}

/** Panel title → label → value, as the page in the browser draws them (bars' and stats' data-value). */
async function pageValues(page: Page): Promise<{ values: Record<string, Record<string, number>>; errors: string[] }> {
  const panels = await page.$$eval('section.panel', (sections) =>
    sections.map((s) => ({
      title: s.querySelector('h2')?.textContent ?? '',
      error: s.querySelector('.panel-error')?.textContent ?? null,
      values: Array.from(s.querySelectorAll('.stat[data-value], rect.bar[data-value]')).map((e) => [e.getAttribute('data-label') ?? 'total', Number(e.getAttribute('data-value'))] as const),
    })),
  );
  return {
    values: Object.fromEntries(panels.map((p) => [p.title, Object.fromEntries(p.values)])),
    errors: panels.filter((p) => p.error !== null).map((p) => `${p.title}: ${p.error}`),
  };
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
    const before = await evaluateDashboard(valkey, dashboard);
    const accepted = await sellThroughGateway(stack, valkey, EVENTS, 1128);
    const afterResults = await evaluateDashboard(valkey, dashboard);
    assertMovedBy(byTitle(before), byTitle(afterResults), accepted);
  });

  it('`npm run dashboard`, open in Chromium on a laptop screen, refreshes itself to show sales posted after it loaded', async () => {
    const cli = new DashboardCli(['serve', '--valkey-url', testServers().valkeyUrl, '--port', String(DASHBOARD_PORT), '--scenario', scenario.name]);
    const browser = await openBrowser({ width: 1280, height: 768 }).catch(async (error: unknown) => {
      await cli.stop();
      throw error;
    });
    try {
      const url = await cli.servedUrl();
      assert.match(cli.stdout, /^\[dashboard\] reading Valkey 127\.0\.0\.1:\d+ as oleada-grafana \(Grafana's read-only user, password from \.cache\/secrets\/valkey\.env\)$/m);
      const page = await browser.context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (message) => void (message.type() === 'error' && consoleErrors.push(message.text())));
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      assert.equal((await page.goto(`${url}/d/${scenario.name}`))?.status(), 200);
      assert.match((await page.locator('#meta').textContent()) ?? '', /^Valkey 127\.0\.0\.1:\d+ as oleada-grafana · read .* UTC · refreshes every 5 s$/);
      // Gone after a reload: proves the new values arrive without one.
      await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
      const before = await pageValues(page);
      assert.deepEqual(before.errors, [], 'no panel shows an error');

      const accepted = await sellThroughGateway(stack, valkey, 60, 2211);
      const countedAt = Date.now();
      // The next refresh that read Valkey after every sale was counted (the default interval, 5 s).
      await page.waitForFunction((since) => Number(document.getElementById('grid')?.dataset.readAt) > since, countedAt, { timeout: 120_000 });
      assert.equal(await page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce), true, 'the page was not reloaded');
      const after = await pageValues(page);
      assert.deepEqual(after.errors, [], 'no panel shows an error');
      assertMovedBy(before.values, after.values, accepted);
      // The panels not moved by a fixed amount show what Valkey holds (read again, directly).
      const now = byTitle(await evaluateDashboard(valkey, dashboard));
      for (const title of ['Lowest price per category', 'Highest price per category', 'Top products by units']) {
        assert.ok(Object.keys(after.values[title] ?? {}).length > 0, `"${title}" shows values`);
        assert.deepEqual(after.values[title], now[title], `"${title}" shows what Valkey holds`);
      }
      assert.equal(Object.keys(after.values).length, dashboard.panels.length, 'every panel is on the page');

      // Fits the laptop screen: nothing wider than the window, every panel inside it.
      for (const viewport of [{ width: 1280, height: 768 }, { width: 1366, height: 768 }]) {
        await page.setViewportSize(viewport);
        const fit = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          rightmost: Math.max(...Array.from(document.querySelectorAll('section.panel')).map((s) => s.getBoundingClientRect().right)),
        }));
        assert.ok(fit.scrollWidth <= fit.clientWidth, `no horizontal scroll at ${viewport.width} px: ${JSON.stringify(fit)}`);
        assert.ok(fit.rightmost <= fit.clientWidth, `every panel inside the window at ${viewport.width} px: ${JSON.stringify(fit)}`);
      }
      await page.setViewportSize({ width: 1280, height: 768 });
      await page.screenshot({ path: join(repoRoot(), '.cache', 'dashboard-test', 'live-blackfriday-1280.png'), fullPage: true });
      assert.deepEqual(consoleErrors, [], 'no console errors');
    } finally {
      await browser.close();
      assert.equal(await cli.stop(), 0, `Ctrl-C ends it with 0; stderr: ${cli.stderr}`);
    }
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
