import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertHelp, assertUsageError, repoRoot, runCli, testPortOffset, testServers } from '@oleada/local';
import { DashboardCli } from './testing/dashboard-cli';

/**
 * `npm run dashboard` (cli.js serve) against the test run's Valkey, which requires authentication
 * like `npm start`'s and whose users come from this checkout's .cache/secrets/valkey.env: it reads
 * as Grafana's read-only user from that file and says so; without a user, or with a wrong one, it
 * ends with one line saying why instead of serving panels that all show NOAUTH.
 */
const PORT = testPortOffset(18310);

function valkeyAddress(): string {
  return new URL(testServers().valkeyUrl).host;
}

/** Runs a CLI that must fail; returns its exit code and what it wrote. */
async function failing(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new DashboardCli(['serve', '--valkey-url', testServers().valkeyUrl, '--port', String(PORT), ...args], env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

describe('npm run dashboard and its Valkey user', () => {
  it('reads as the Grafana read-only user from .cache/secrets/valkey.env, says so, and every panel has data to show', async () => {
    const cli = new DashboardCli(['serve', '--valkey-url', testServers().valkeyUrl, '--port', String(PORT), '--scenario', 'blackfriday']);
    try {
      const url = await cli.servedUrl();
      assert.equal(
        cli.stdout.split('\n')[0],
        `[dashboard] reading Valkey ${valkeyAddress()} as oleada-grafana (Grafana's read-only user, password from .cache/secrets/valkey.env)`,
      );
      const response = await fetch(`${url}/d/blackfriday`);
      const html = await response.text();
      assert.equal(response.status, 200);
      assert.match(html, /Valkey [^<]* as oleada-grafana/, 'the page names the Valkey and user');
      assert.match(html, /refreshes every 5 s/, 'the page says how often it refreshes');
      assert.equal((html.match(/<section class="panel"/g) ?? []).length, 8, 'all 8 panels are on the page');
      assert.doesNotMatch(html, /class="panel-error"|NOAUTH|NOPERM/, 'no panel shows an error');
    } finally {
      assert.equal(await cli.stop(), 0, `Ctrl-C ends it with 0; stderr: ${cli.stderr}`);
    }
  });

  it("png (the demo's picture) reads as the same user and writes a laptop-wide PNG", async () => {
    const out = join(repoRoot(), '.cache', 'dashboard-test', 'cli-blackfriday.png');
    rmSync(out, { force: true });
    const cli = new DashboardCli(['png', '--valkey-url', testServers().valkeyUrl, '--scenario', 'blackfriday', '--out', out]);
    assert.equal(await cli.exited, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), out);
    const png = readFileSync(out);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 1280, 'as wide as the laptop window it was drawn in (IHDR width)');
  });

  it('exits 1 with one line when Valkey refuses the user', async () => {
    const run = await failing([], { VALKEY_USERNAME: 'oleada-grafana', VALKEY_PASSWORD: 'not-the-password' });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '', 'nothing but the one line');
    assert.deepEqual(run.stderr.trimEnd().split('\n'), [
      `[dashboard] Valkey ${valkeyAddress()} refused user oleada-grafana (WRONGPASS invalid username-password pair or user is disabled.): check VALKEY_USERNAME/VALKEY_PASSWORD`,
    ]);
  });

  it('exits 1 with one line when it finds no user for a Valkey that requires one', async () => {
    // A checkout where `npm start` never ran: no .cache/secrets/valkey.env under OLEADA_ROOT.
    const emptyRoot = mkdtempSync(join(tmpdir(), 'oleada-no-secrets-'));
    try {
      const run = await failing([], { OLEADA_ROOT: emptyRoot });
      assert.equal(run.code, 1);
    assert.equal(run.stdout, '', 'nothing but the one line');
      assert.deepEqual(run.stderr.trimEnd().split('\n'), [
        `[dashboard] Valkey ${valkeyAddress()} requires authentication (NOAUTH Authentication required.) and no user was found: .cache/secrets/valkey.env does not exist here and VALKEY_USERNAME/VALKEY_PASSWORD are not set; start the stack with \`npm start\` from this checkout`,
      ]);
    } finally {
      rmSync(emptyRoot, { recursive: true, force: true });
    }
  });

  it('exits 1 with one line when nothing answers at the Valkey URL', async () => {
    const cli = new DashboardCli(['serve', '--valkey-url', 'redis://127.0.0.1:1', '--port', String(PORT)]);
    assert.equal(await cli.exited, 1);
    assert.equal(cli.stdout, '');
    assert.deepEqual(cli.stderr.trimEnd().split('\n'), [
      "[dashboard] cannot read Valkey 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1; is `npm start` running (or is --valkey-url wrong)?",
    ]);
  });
});

describe('the dashboard command line explains itself', () => {
  const CLI = 'tools/dashboard/dist/cli.js';

  it('--help lists its commands, options and defaults', () => {
    assertHelp(runCli(CLI, ['serve', '--help']), ['--valkey-url', '--port', '--scenario', '--out', '--variant', '--refresh'], ['18300', '5']);
  });

  it('refuses a bad line in one line with exit 64 before serving or drawing anything', () => {
    assertUsageError(runCli(CLI, ['serve', '--port', 'abc']), '--port');
    assertUsageError(runCli(CLI, ['serve', '--refresh=-1']), '--refresh must be a number ≥ 0');
    assertUsageError(runCli(CLI, ['serve', '--colour']), '--colour');
    assertUsageError(runCli(CLI, ['png', '--scenario', 'weather']), 'png needs --scenario and --out');
    assertUsageError(runCli(CLI, ['draw']), 'draw');
  });
});
