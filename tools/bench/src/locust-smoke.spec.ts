import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalStack, repoRoot, TEST_STACK_ENV, testConsumerCredential, testPortOffset, testServers, testValkey, totalMetric, waitCounted } from '@oleada/local';
import { blackfridayScenario as scenario, canonicalRoute } from '@oleada/scenarios';
import { METRIC_NAMES } from '@oleada/shared';
import { readCounter, ScenarioKeys } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';
import { scrape, valueOf } from './measure/prometheus';

const LOCUST = join(repoRoot(), '.cache/venv/bin/locust');

/** One entry of Locust's `--json-file` output (final totals, unlike the CSV files, which are refreshed every second). */
interface LocustStats {
  readonly name: string;
  readonly method: string;
  readonly num_requests: number;
  readonly num_failures: number;
}

function runLocust(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(LOCUST, args, { cwd: repoRoot(), env: { ...process.env, OLEADA_DATASET: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Locust (the real load generator, headless) against the whole local chain. */
describe('Locust against the local stack', () => {
  let stack: LocalStack;
  let valkey: Valkey;
  let outDir: string;

  before(async () => {
    if (!existsSync(LOCUST)) {
      throw new Error(`locust is not installed at ${LOCUST}: run \`bash tools/scripts/setup.sh\` (it installs locust/requirements.txt into .cache/venv)`);
    }
    const { kafkaBrokers, valkeyUrl } = testServers();
    valkey = await testValkey();
    stack = new LocalStack({
      kafkaBrokers,
      valkeyUrl,
      valkeyCredential: testConsumerCredential(),
      portOffset: testPortOffset(3300),
      logDir: join(repoRoot(), '.cache/run/logs-locust'),
      env: TEST_STACK_ENV,
    });
    await stack.start();
    await stack.waitCaughtUp();
    outDir = mkdtempSync(join(tmpdir(), 'oleada-locust-'));
  });

  after(async () => {
    valkey?.disconnect();
    await stack?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('runs 15 s headless with no failures, and Valkey counts exactly the events Locust saw accepted', async () => {
    const keys = new ScenarioKeys(scenario.name);
    const baseline = await readCounter(valkey, keys.metric(totalMetric(scenario)));
    const gatewayAccepted = async () => valueOf(await scrape(stack.gatewayUrl), METRIC_NAMES.gatewayEvents, { outcome: 'accepted' });
    const acceptedBefore = await gatewayAccepted();
    const prefix = join(outDir, 'smoke');
    const { code, output } = await runLocust([
      '-f', 'locust/locustfile.py',
      '--headless', '-u', '20', '-r', '10', '-t', '15s',
      // Let each user finish the request it is making, so every answer is recorded.
      '--stop-timeout', '10',
      '--host', stack.gatewayUrl,
      '--csv', prefix,
      '--json-file', prefix,
      '--only-summary',
    ]);
    const json = `${prefix}.json`;
    assert.ok(existsSync(json), `locust wrote no ${json} (exit ${code}):\n${output.slice(-3000)}`);
    assert.ok(existsSync(`${prefix}_stats.csv`), `locust wrote no CSV stats (exit ${code})`);
    const entries = JSON.parse(readFileSync(json, 'utf8')) as LocustStats[];
    const requests = entries.reduce((sum, e) => sum + e.num_requests, 0);
    const failures = entries.reduce((sum, e) => sum + e.num_failures, 0);
    const failureDetail = existsSync(`${prefix}_failures.csv`) ? readFileSync(`${prefix}_failures.csv`, 'utf8') : '';
    assert.equal(failures, 0, `Locust saw ${failures} failed requests:\n${failureDetail}\n${output.slice(-2000)}`);
    assert.equal(code, 0, `locust exited with ${code}:\n${output.slice(-3000)}`);
    assert.ok(requests > 0, 'Locust sent no request');
    assert.deepEqual(
      entries.map((e) => `${e.method} ${e.name}`),
      [`POST ${canonicalRoute(scenario)}`],
    );

    const { counted } = await waitCounted(valkey, scenario, baseline, requests, { settleMs: 1500, timeoutMs: 300_000 });
    const gateway = (await gatewayAccepted()) - acceptedBefore;
    assert.equal(counted, requests, `Valkey counted ${counted} events, Locust had ${requests} accepted (the gateway answered 202 to ${gateway})`);
  });
});
