// The comparison's types, apart from regression.ts so the report model (which holds them) and the
// code that computes them (which reads the model) do not import each other.

/** One figure measured by both runs. */
export interface RegressionRow {
  readonly figure: string;
  readonly previous: number;
  readonly current: number;
  /** Which way is an improvement. */
  readonly better: 'higher' | 'lower';
  readonly digits: number;
}

/** What the comparison was made against, for the report's heading. */
export interface Baseline {
  readonly generatedAt: string;
  readonly command: string;
  readonly commit?: string;
  readonly loadAverageBefore: readonly number[];
}
