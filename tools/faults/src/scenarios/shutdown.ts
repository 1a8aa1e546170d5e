import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AppProcess } from '@oleada/local';
import type { ResultsBook } from '../results';

/** A set of app processes the suite ran faults against. */
export interface StoppableApps {
  readonly apps: AppProcess[];
  readonly results: ResultsBook;
  stopApps(): Promise<Record<string, number | null>>;
}

/** After everything the suite did to them: all still running, and each stops cleanly on SIGTERM. */
export function shutdownTests(target: StoppableApps, id: string, what: string): void {
  it('every process is still running at the end, and exits 0 on SIGTERM', async () => {
    const notRunning = target.apps.filter((app) => !app.running).map((app) => app.spec.name);
    const codes = await target.stopApps();
    const unclean = Object.entries(codes).filter(([, code]) => code !== 0);
    target.results.attack({
      id,
      attack: `${what}: processes alive, then SIGTERM to each app`,
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
