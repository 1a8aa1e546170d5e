import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '@oleada/local';
import type { Attempt, LoadReport } from '../load-client';
import { LOCAL_RESULTS, renderResults, spliceResults } from '../results';
import { clusterEnv, K8S_RESULTS, mapLimit, recoverySeconds } from './cluster';

/** A report with `perSecond[i]` answers of `status` in second i after t=0. */
function report(seconds: readonly (readonly [ok: number, bad: number])[]): LoadReport {
  const attempts: Attempt[] = [];
  seconds.forEach(([ok, bad], s) => {
    for (let i = 0; i < ok; i++) attempts.push({ event: attempts.length, sentAt: s * 1000, answeredAt: s * 1000 + (i * 1000) / (ok + bad + 1), status: 202 });
    for (let i = 0; i < bad; i++) attempts.push({ event: attempts.length, sentAt: s * 1000, answeredAt: s * 1000 + 900 + i / 10, status: 503 });
  });
  return { events: [], attempts, startedAt: 0, endedAt: seconds.length * 1000 };
}

describe('cluster fault accounting', () => {
  it('time until the rate is back: the first of three full windows after a dip', () => {
    const steady = Array.from({ length: 8 }, () => [100, 0] as const);
    assert.equal(recoverySeconds(report(steady), 0, 100), undefined, 'never dipped');
    const dip = [[100, 0], [40, 20], [0, 60], [95, 0], [100, 0], [100, 0], [100, 0], [100, 0]] as const;
    assert.equal(recoverySeconds(report(dip), 0, 100), 3);
    const stillDown = [[100, 0], [0, 50], [0, 50], [0, 50], [0, 50]] as const;
    assert.equal(recoverySeconds(report(stillDown), 0, 100), 4, 'not back before the load ended: the last window');
  });

  it('the Kubernetes table goes under its own markers, beside the local one', () => {
    const doc = '# Reliability\n\n## Measured\n\n' + spliceResults('', 'LOCAL', LOCAL_RESULTS).trim() + '\n';
    const results = { startedAt: 'a', updatedAt: 'b', environment: 'c', attacks: {}, faults: {} };
    const withK8s = spliceResults(doc, renderResults(results, false), K8S_RESULTS);
    assert.ok(withK8s.includes('LOCAL'), 'the local table is kept');
    assert.ok(withK8s.includes('## On Kubernetes'));
    assert.ok(!withK8s.includes('| attack |'), 'no empty attack table in the cluster section');
    const again = spliceResults(withK8s, 'NEW', K8S_RESULTS);
    assert.equal(again.split('## On Kubernetes').length, 2, 'replaced in place, not appended twice');
    assert.ok(again.includes(`${K8S_RESULTS.begin}\nNEW\n${K8S_RESULTS.end}`));
  });

  it('reads at most `limit` at a time and keeps the items\' order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([30, 5, 20, 1, 10, 2], 4, async (ms) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return ms * 2;
    });
    assert.deepEqual(out, [60, 10, 40, 2, 20, 4]);
    assert.equal(most, 4);
    assert.deepEqual(await mapLimit([], 4, async (x: number) => x), []);
  });

  it('refuses to run without the cluster test-k8s.sh built, naming what is missing', () => {
    assert.throws(() => clusterEnv({}), /KUBECONFIG is not set: the cluster fault suite runs from tools\/cluster\/test-k8s.sh/);
    assert.throws(() => clusterEnv({ KUBECONFIG: '/x' }), /OLEADA_KUBECTL is not set/);
  });
});

describe("the names tools/cluster's scripts take from the workspace's packages", () => {
  it('exist in each package (a script would otherwise fail mid-run on the cluster)', () => {
    const root = repoRoot();
    const requireFromRoot = createRequire(join(root, 'package.json'));
    const dirs = ['tools/cluster', 'tools/cluster/lib'];
    const uses: Array<{ file: string; pkg: string; name: string }> = [];
    for (const dir of dirs) {
      for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.sh'))) {
        const text = readFileSync(join(root, dir, file), 'utf8');
        for (const m of text.matchAll(/\{([A-Za-z_,\s]+)\}\s*=\s*require\('(@oleada\/[a-z-]+)'\)/g)) {
          for (const name of m[1].split(',').map((n) => n.trim()).filter(Boolean)) uses.push({ file: `${dir}/${file}`, pkg: m[2], name });
        }
        for (const m of text.matchAll(/require\('(@oleada\/[a-z-]+)'\)\.([A-Za-z_]+)/g)) uses.push({ file: `${dir}/${file}`, pkg: m[1], name: m[2] });
        for (const m of text.matchAll(/const (\w+)=require\('(@oleada\/[a-z-]+)'\);/g)) {
          for (const call of text.matchAll(new RegExp(`\\b${m[1]}\\.([A-Za-z_]+)\\(`, 'g'))) uses.push({ file: `${dir}/${file}`, pkg: m[2], name: call[1] });
        }
      }
    }
    assert.ok(uses.length >= 8, `the scripts' uses were found (${uses.length})`);
    const missing = uses.filter(({ pkg, name }) => (requireFromRoot(pkg) as Record<string, unknown>)[name] === undefined);
    assert.deepEqual(missing, [], 'every name the scripts use is exported');
  });
});
