import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CATEGORY_VARIABLE, DEFAULT_TOP_N, dashboardsFor, headlineOf, parseDashboard, type DashboardModel } from '@oleada/dashboards';
import { testValkey } from '@oleada/local';
import { blackfridayScenario, SCENARIOS } from '@oleada/scenarios';
import type Valkey from 'iovalkey';
import { displayName } from './frames';
import { evaluateDashboard, type PanelResult } from './panels';
import { applySampleRun, expectedView, panelKeys, type AppliedRun, type ExpectedView } from './testing/applied-run';

/**
 * Every panel of every scenario dashboard, run against real Valkey after the consumer's own
 * aggregation applied a known batch: the commands are the ones the redis-datasource plugin sends
 * (and only reads), the frames carry the fields the panel draws, and the values are the batch's.
 */

const EVENTS = 120;

/** Compares what a panel shows with what the run must have produced. */
function assertShows(result: PanelResult, expected: ExpectedView, where: string): void {
  assert.equal(result.error, undefined, `${where}: ${result.error}`);
  assert.equal(result.frames.length, 1, `${where}: one frame reaches the visualization`);
  assert.deepEqual(result.frames[0].fields.map(displayName), expected.fields, `${where}: fields`);
  const view = result.view;
  switch (expected.kind) {
    case 'bars': {
      assert.equal(view?.kind, 'bars', where);
      if (view?.kind !== 'bars') return;
      const shown = Object.fromEntries(view.labels.map((label, i) => [label, view.values[i]]));
      assert.deepEqual(shown, expected.byLabel, `${where}: one bar per field with the run's value`);
      if (expected.ordered) assert.deepEqual(view.labels, expected.ordered, `${where}: highest first`);
      return;
    }
    case 'stat':
      assert.equal(view?.kind, 'stat', where);
      if (view?.kind === 'stat') assert.equal(view.value, expected.value, where);
      return;
    case 'timebars': {
      assert.equal(view?.kind, 'timebars', where);
      if (view?.kind !== 'timebars') return;
      assert.deepEqual(Object.fromEntries(view.times.map((t, i) => [String(t), view.values[i]])), expected.byTime, `${where}: one bar per minute`);
    }
  }
}

describe('every dashboard query against real Valkey', () => {
  let valkey: Valkey;
  let run: AppliedRun;
  let dashboards: Map<string, DashboardModel>;
  const readCommands = new Map<string, boolean>();

  /** Whether Valkey files a command under @read and not @write (what the Grafana ACL user may run). */
  async function isReadOnly(command: string): Promise<boolean> {
    const cached = readCommands.get(command);
    if (cached !== undefined) return cached;
    const [info] = (await valkey.call('COMMAND', 'INFO', command)) as Array<[string, number, string[], number, number, number, string[]]>;
    const categories = info?.[6] ?? [];
    const readOnly = categories.includes('@read') && !categories.includes('@write') && !categories.includes('@dangerous');
    readCommands.set(command, readOnly);
    return readOnly;
  }

  before(async () => {
    valkey = await testValkey();
    run = await applySampleRun(valkey, SCENARIOS, EVENTS, 20261128);
    dashboards = new Map(dashboardsFor(SCENARIOS, { keysFor: run.keysFor, pipeline: false }).map((d) => [d.name, parseDashboard(d.json)]));
  });

  after(async () => {
    await run?.cleanUp();
    valkey?.disconnect();
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every panel shows exactly what the run produced`, async () => {
      const dashboard = dashboards.get(scenario.name);
      assert.ok(dashboard, `no dashboard for ${scenario.name}`);
      const results = await evaluateDashboard(valkey, dashboard);
      assert.equal(results.length, dashboard.panels.length);
      const keysShown = new Set<string>();
      for (const result of results) {
        const where = `${scenario.name} panel ${result.panel.id} "${result.panel.title}"`;
        const [key] = panelKeys(result.panel);
        keysShown.add(key);
        const content = run.expected.get(key);
        assert.ok(content, `${where} reads ${key}, which no aggregate of ${scenario.name} writes`);
        for (const command of result.commands) {
          assert.equal(command[1], key, `${where}: the command addresses the panel's key`);
          assert.ok(await isReadOnly(command[0]), `${where}: ${command[0]} is not a read-only command`);
        }
        assertShows(result, expectedView(content, { topN: DEFAULT_TOP_N }), where);
      }
      const written = [...run.expected.keys()].filter((k) => k.startsWith(`${run.keysFor(scenario).prefix}:`));
      assert.deepEqual([...keysShown].sort(), written.sort(), `${scenario.name}: every aggregate key has a panel`);
    });
  }

  it('blackfriday: the headline bars are the reports per category, counted from the events themselves', async () => {
    const results = await evaluateDashboard(valkey, dashboards.get('blackfriday') as DashboardModel);
    const headline = results[0];
    const records = run.records.get('blackfriday') as Array<{ categoria: string; priceCents: number; quantity: number }>;
    const reports: Record<string, number> = {};
    for (const r of records) reports[r.categoria] = (reports[r.categoria] ?? 0) + 1;
    assert.equal(headline.panel.type, 'barchart');
    assert.deepEqual(headline.commands, [['HGETALL', run.keysFor(blackfridayScenario).metric(blackfridayScenario.headline)]]);
    assert.equal(headline.view?.kind, 'bars');
    if (headline.view?.kind !== 'bars') return;
    assert.deepEqual(Object.fromEntries(headline.view.labels.map((l, i) => [l, headline.view?.kind === 'bars' ? headline.view.values[i] : 0])), reports);
    assert.equal(
      headline.view.values.reduce<number>((sum, v) => sum + (v ?? 0), 0),
      EVENTS,
      'redelivered events are not counted twice',
    );
    const revenue = results.find((r) => r.panel.title === 'Revenue per category');
    assert.equal(revenue?.view?.kind, 'bars');
    if (revenue?.view?.kind !== 'bars') return;
    const quetzales = revenue.view.values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
    const cents = records.reduce((sum, r) => sum + r.priceCents * r.quantity, 0);
    assert.ok(Math.abs(quetzales - cents / 100) < 1e-6, `revenue is shown in quetzales (${quetzales} vs ${cents} cents)`);
  });

  it('blackfriday: the category variable keeps only the selected bars', async () => {
    const dashboard = dashboards.get('blackfriday') as DashboardModel;
    const only = ['Ropa', 'Hogar'];
    const results = await evaluateDashboard(valkey, dashboard, { selected: { [CATEGORY_VARIABLE]: only } });
    const headlineFields = headlineOf(blackfridayScenario).fields;
    let filtered = 0;
    for (const result of results) {
      const content = run.expected.get(panelKeys(result.panel)[0]);
      assert.ok(content);
      const byCategory = 'fields' in content.aggregate && content.aggregate.fields.join() === headlineFields.join();
      assertShows(result, expectedView(content, { topN: DEFAULT_TOP_N, only: byCategory ? only : undefined }), `panel ${result.panel.title}`);
      if (byCategory) filtered++;
    }
    assert.ok(filtered >= 4, 'reports, units, revenue and prices follow the variable');
  });
});
