import { seededRandom } from '@oleada/scenarios';

/**
 * The statistics of an A/B bench: per figure the median of each side's rounds, their spread, and
 * the relative difference of the medians (B / A − 1) with a 95 % percentile bootstrap interval
 * (each side's rounds resampled with replacement, seeded so a report can be reproduced). A verdict
 * is given only when the interval excludes 0; otherwise "no difference".
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0..1) by linear interpolation between the sorted values (R's type 7). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

export interface Spread {
  readonly min: number;
  readonly max: number;
  /** Interquartile range relative to the median: how noisy the rounds were. */
  readonly relativeIqr: number;
}

export function spreadOf(values: readonly number[]): Spread {
  return { min: Math.min(...values), max: Math.max(...values), relativeIqr: (quantile(values, 0.75) - quantile(values, 0.25)) / median(values) };
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * 95 % (or `level`) percentile bootstrap interval of median(B) / median(A) − 1: `resamples` times
 * both sides are drawn again with replacement, and the interval is the middle `level` of the
 * ratios. Percentile rather than BCa: with 5–10 rounds a side the bias correction is itself too
 * noisy to help, and the percentile interval is the one a reader can check by hand.
 */
export function bootstrapRelativeDifference(a: readonly number[], b: readonly number[], options: { seed?: number; resamples?: number; level?: number } = {}): Interval {
  const random = seededRandom(options.seed ?? 20261205);
  const resamples = options.resamples ?? 10_000;
  const level = options.level ?? 0.95;
  const draw = (values: readonly number[]) => median(Array.from(values, () => values[Math.floor(random() * values.length)]));
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) ratios[i] = draw(b) / draw(a) - 1;
  ratios.sort();
  const tail = (1 - level) / 2;
  const pick = (q: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return { low: pick(tail), high: pick(1 - tail) };
}

/** Whether a larger value of a figure is better (events/s) or worse (CPU, latency). */
export type Better = 'higher' | 'lower';

export type Verdict = 'B better' | 'B worse' | 'no difference';

export interface FigureComparison {
  readonly figure: string;
  readonly unit: string;
  readonly better: Better;
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly medianA: number;
  readonly medianB: number;
  readonly spreadA: Spread;
  readonly spreadB: Spread;
  /** median(B) / median(A) − 1. */
  readonly relativeDifference: number;
  readonly interval: Interval;
  readonly verdict: Verdict;
}

/** The smallest relative difference of the medians that gets a verdict (1 %). */
export const SMALLEST_DIFFERENCE = 0.01;

/** One figure's medians, spreads, interval and verdict (a verdict only when the interval excludes 0 and the medians differ by SMALLEST_DIFFERENCE or more). */
export function compareFigure(figure: string, unit: string, better: Better, a: readonly number[], b: readonly number[], seed?: number): FigureComparison {
  const interval = bootstrapRelativeDifference(a, b, { seed });
  const medianA = median(a);
  const medianB = median(b);
  const relativeDifference = medianB / medianA - 1;
  // A difference smaller than SMALLEST_DIFFERENCE is none, however sure: at a fixed offered rate both
  // sides count the same events/s to a hundredth of a per cent, and a tight interval around +0.0 % is not a finding.
  const small = Math.abs(relativeDifference) < SMALLEST_DIFFERENCE;
  const higher = !small && interval.low > 0;
  const lower = !small && interval.high < 0;
  const verdict: Verdict = !higher && !lower ? 'no difference' : higher === (better === 'higher') ? 'B better' : 'B worse';
  return { figure, unit, better, a, b, medianA, medianB, spreadA: spreadOf(a), spreadB: spreadOf(b), relativeDifference, interval, verdict };
}

/**
 * The levels `values` fall on: their indices grouped, lowest level first, a new level starting
 * where a value (in ascending order) is more than `gap` (relative) above the one before it.
 * Rounds whose throughput splits this way (as every saturation run did while the generator idled
 * whole seconds between its rounds) are compared within each level, not across them.
 */
export function levelsOf(values: readonly number[], gap = 0.06): number[][] {
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
  const levels: number[][] = [];
  order.forEach((index, k) => {
    if (k === 0 || values[index] > values[order[k - 1]] * (1 + gap)) levels.push([]);
    levels[levels.length - 1].push(index);
  });
  return levels;
}
