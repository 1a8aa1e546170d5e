import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@oleada/scenarios';
import { bootstrapRelativeDifference, compareFigure, levelsOf, median, quantile, spreadOf } from './stats';

/** `n` rounds of a figure around `center` with a relative normal noise `cv` (Box–Muller), from `seed`. */
function rounds(n: number, center: number, cv: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return center * (1 + cv * z);
  });
}

/** Verdicts of `trials` synthetic A/B comparisons, B's center `shift` above A's. */
function verdicts(trials: number, n: number, cv: number, shift: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let t = 0; t < trials; t++) {
    const a = rounds(n, 0.4, cv, 1000 + t);
    const b = rounds(n, 0.4 * (1 + shift), cv, 5000 + t);
    const { verdict } = compareFigure('cpu', 'ms', 'lower', a, b, t);
    counts[verdict] = (counts[verdict] ?? 0) + 1;
  }
  return counts;
}

describe('A/B statistics', () => {
  it('median, quantile and spread on known values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.deepEqual(spreadOf([1, 2, 3, 4, 5]), { min: 1, max: 5, relativeIqr: 2 / 3 });
  });

  it('groups values into levels where one is over the gap above the next lower', () => {
    assert.deepEqual(levelsOf([3410, 3020, 3840, 3035, 3400]), [[1, 3], [4, 0], [2]]);
    assert.deepEqual(levelsOf([100, 105, 110, 116]), [[0, 1, 2, 3]], 'a staircase of small steps stays one level');
    assert.deepEqual(levelsOf([100, 107]), [[0], [1]]);
    assert.deepEqual(levelsOf([]), []);
  });

  it('the interval of a constant shift is the shift itself, and is seeded', () => {
    const fixed = bootstrapRelativeDifference([2, 2, 2, 2, 2], [2.2, 2.2, 2.2, 2.2, 2.2]);
    assert.ok(Math.abs(fixed.low - 0.1) < 1e-12 && Math.abs(fixed.high - 0.1) < 1e-12, JSON.stringify(fixed));
    const a = [1, 2, 3, 4, 5];
    const b = [2, 3, 4, 5, 6];
    assert.deepEqual(bootstrapRelativeDifference(a, b, { seed: 7 }), bootstrapRelativeDifference(a, b, { seed: 7 }));
    // Every resampled median lies between a side's min and max, so the ratio does too: 2/5−1 … 6/1−1.
    const wide = bootstrapRelativeDifference(a, b, { seed: 7 });
    assert.ok(wide.low >= 2 / 5 - 1 && wide.high <= 6 / 1 - 1 && wide.low < 4 / 3 - 1 && wide.high > 4 / 3 - 1, JSON.stringify(wide));
  });

  it('says which side is better by the direction of the figure', () => {
    const a = [1, 1.01, 0.99, 1, 1.02];
    const b = a.map((v) => v * 1.2);
    assert.equal(compareFigure('cpu', 'ms', 'lower', a, b).verdict, 'B worse');
    assert.equal(compareFigure('rate', '/s', 'higher', a, b).verdict, 'B better');
    assert.equal(compareFigure('rate', '/s', 'higher', b, a).verdict, 'B worse');
  });

  it('a sure but tiny difference (under 1 %) is no difference', () => {
    const a = [2500.1, 2500.2, 2500.1, 2500.2, 2500.1];
    const b = a.map((v) => v * 1.004);
    const tiny = compareFigure('rate', '/s', 'higher', a, b);
    assert.ok(tiny.interval.low > 0, 'the interval alone would call it');
    assert.equal(tiny.verdict, 'no difference');
    assert.equal(compareFigure('rate', '/s', 'higher', a, a.map((v) => v * 1.02)).verdict, 'B better');
  });

  it('identical distributions: "no difference" in nearly every trial, even with 15 % noise', () => {
    const counts = verdicts(60, 5, 0.15, 0);
    // A 95 % interval from 5 rounds a side is somewhat narrow (the percentile bootstrap's known
    // small-sample optimism), so allow a little more than 5 % false verdicts.
    assert.ok((counts['no difference'] ?? 0) >= 0.85 * 60, JSON.stringify(counts));
  });

  it('a 5 % cost under 2 % noise (CPU per event on a quiet machine) is found in most trials with 5–7 rounds', () => {
    for (const n of [5, 7]) {
      const counts = verdicts(40, n, 0.02, 0.05);
      assert.ok((counts['B worse'] ?? 0) >= 0.75 * 40, `${n} rounds: ${JSON.stringify(counts)}`);
      assert.equal(counts['B better'], undefined, `${n} rounds: ${JSON.stringify(counts)}`);
    }
  });

  it('a 5 % cost under 15 % noise is mostly beyond 7 rounds: the tool then says "no difference", never the wrong side', () => {
    const counts = verdicts(40, 7, 0.15, 0.05);
    assert.ok((counts['no difference'] ?? 0) >= 0.6 * 40, JSON.stringify(counts));
    assert.equal(counts['B better'], undefined, JSON.stringify(counts));
  });
});
