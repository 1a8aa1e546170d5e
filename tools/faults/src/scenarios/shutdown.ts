import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FaultSuite } from '../harness';

/** After everything the suite did to them: all still running, and each stops cleanly on SIGTERM. */
export function shutdownTests(suite: FaultSuite): void {
  it('every process is still running at the end, and exits 0 on SIGTERM', async () => {
    const notRunning = suite.apps.filter((app) => !app.running).map((app) => app.spec.name);
    const codes = await suite.stopApps();
    const unclean = Object.entries(codes).filter(([, code]) => code !== 0);
    suite.results.attack({
      id: 'z-shutdown',
      attack: 'after every fault: processes alive, then SIGTERM to each app',
      expected: 'all running; each exits 0 (drains, flushes, commits)',
      observed: `${notRunning.length === 0 ? 'all running' : `not running: ${notRunning.join(', ')}`}; exit codes ${Object.entries(codes)
        .map(([name, code]) => `${name} ${code}`)
        .join(', ')}`,
      passed: notRunning.length === 0 && unclean.length === 0,
    });
    assert.deepEqual(notRunning, [], 'still running after every fault');
    assert.deepEqual(unclean, [], `every app exits 0 after SIGTERM: ${JSON.stringify(codes)}`);
  });
}
