import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Health } from './health';
import { METRIC_NAMES } from './metric-names';
import { Metrics } from './metrics';

/** The value of `oleada_dependency_up{dependency="<name>"}` in a scrape, or undefined. */
function dependencyUp(scrape: string, name: string): string | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${METRIC_NAMES.dependencyUp}{`) && l.includes(`dependency="${name}"`));
  return line?.split(' ').at(-1);
}

describe('Metrics.watchDependencies', () => {
  it("exports each readiness check as oleada_dependency_up, read at scrape time", async () => {
    const health = new Health();
    const metrics = new Metrics('consumer');
    metrics.watchDependencies(health);
    metrics.watchDependencies(health); // a second call (forRoot in tests) registers nothing twice
    health.register('valkey');
    health.register('broker');
    health.set('broker', true);
    let scrape = await metrics.render();
    assert.equal(dependencyUp(scrape, 'valkey'), '0');
    assert.equal(dependencyUp(scrape, 'broker'), '1');
    assert.match(scrape, /oleada_dependency_up\{[^}]*service="consumer"/);
    health.set('valkey', true);
    health.set('broker', false);
    scrape = await metrics.render();
    assert.equal(dependencyUp(scrape, 'valkey'), '1');
    assert.equal(dependencyUp(scrape, 'broker'), '0');
  });

  it('a process without dependencies exports no series', async () => {
    const metrics = new Metrics('gateway');
    metrics.watchDependencies(new Health());
    assert.equal(dependencyUp(await metrics.render(), 'valkey'), undefined);
  });
});
