import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, testServers, testValkey, valkeyCredentials } from '@oleada/local';
import { SCENARIOS } from '@oleada/scenarios';
import type Valkey from 'iovalkey';
import { chromiumPath } from './browser';
import { checkPage } from './png';
import { DashboardPreview } from './server';
import { applySampleRun, type AppliedRun } from './testing/applied-run';

/**
 * The preview page of every scenario dashboard, loaded in headless Chromium after a known batch:
 * every panel is on the page and drew something, and the browser reported no error.
 */
describe('the dashboard preview in Chromium', () => {
  let valkey: Valkey;
  let run: AppliedRun;
  let preview: DashboardPreview;
  let url: string;

  before(async () => {
    chromiumPath(); // fails first, with how to install it, when the browser is missing
    valkey = await testValkey();
    run = await applySampleRun(valkey, SCENARIOS, 200, 7);
    // As Grafana reads: its read-only user (the test Valkey's users come from this checkout's .cache/secrets).
    preview = new DashboardPreview({ valkeyUrl: testServers().valkeyUrl, credential: valkeyCredentials().grafana, keysFor: run.keysFor });
    url = await preview.start();
  });

  after(async () => {
    await preview?.stop();
    await run?.cleanUp();
    valkey?.disconnect();
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every panel renders, with no console error`, async () => {
      const dashboard = preview.dashboard(scenario.name);
      assert.ok(dashboard);
      const screenshot = join(repoRoot(), '.cache', 'dashboard-test', `${scenario.name}.png`);
      const check = await checkPage(`${url}/d/${scenario.name}`, screenshot);
      assert.deepEqual(check.consoleErrors, [], 'no console errors');
      assert.deepEqual(check.panelErrors, [], 'no panel shows an error');
      assert.equal(check.panels, dashboard.panels.length, 'every panel is on the page');
      for (const panel of dashboard.panels) {
        assert.ok((check.drawn[String(panel.id)] ?? 0) > 0, `panel ${panel.id} "${panel.title}" drew bars or a value`);
      }
    });
  }

  it('a category selection in the URL reaches the panels', async () => {
    const response = await fetch(`${url}/d/blackfriday?category=Ropa`);
    const html = await response.text();
    assert.equal(response.status, 200);
    const headline = /<section class="panel" data-panel-id="1"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.deepEqual([...headline.matchAll(/data-label="([^"]+)"/g)].map((m) => m[1]), ['Ropa']);
  });

  it('answers 404 for an unknown dashboard', async () => {
    assert.equal((await fetch(`${url}/d/nope`)).status, 404);
  });
});
