import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentileOfSorted, Samples, summarize } from './latency';

describe('latency summaries', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileOfSorted(values, 50), 50);
    assert.equal(percentileOfSorted(values, 99), 99);
    assert.equal(percentileOfSorted(values, 100), 100);
    assert.ok(Number.isNaN(percentileOfSorted([], 50)));
  });

  it('summarizes unsorted samples, growing past the initial capacity', () => {
    const samples = new Samples();
    for (let i = 3000; i >= 1; i--) samples.push(i);
    assert.equal(samples.length, 3000);
    const s = summarize(samples.values());
    assert.deepEqual([s.count, s.p50, s.p95, s.p99, s.max, s.mean], [3000, 1500, 2850, 2970, 3000, 1500.5]);
  });
});
