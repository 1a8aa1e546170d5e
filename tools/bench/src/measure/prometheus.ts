/** One sample of the Prometheus text format: `name{label="value",…} value`. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (comments and unparsable lines are skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1]] = label[2].replace(/\\(.)/g, '$1');
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

/** Scrapes an app's /metrics. */
export async function scrape(baseUrl: string): Promise<PromSample[]> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`${baseUrl}/metrics answered ${response.status}`);
  return parsePrometheus(await response.text());
}

/** A histogram summed over every series matching `where`: cumulative bucket counts, sum and count. */
export interface Histogram {
  /** Upper bounds (seconds), ascending, ending with Infinity. */
  readonly le: readonly number[];
  /** Cumulative counts per bound. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

function matches(labels: Readonly<Record<string, string>>, where: Readonly<Record<string, string>>): boolean {
  return Object.entries(where).every(([k, v]) => labels[k] === v);
}

export function histogramOf(samples: readonly PromSample[], name: string, where: Readonly<Record<string, string>> = {}): Histogram {
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (!matches(s.labels, where)) continue;
    if (s.name === `${name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) sum += s.value;
    else if (s.name === `${name}_count`) count += s.value;
  }
  const le = [...buckets.keys()].sort((a, b) => a - b);
  return { le, counts: le.map((b) => buckets.get(b) ?? 0), sum, count };
}

/** What a histogram gained between two scrapes. */
export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  const prior = new Map(before.le.map((b, i) => [b, before.counts[i]]));
  return { le: after.le, counts: after.counts.map((c, i) => c - (prior.get(after.le[i]) ?? 0)), sum: after.sum - before.sum, count: after.count - before.count };
}

/**
 * The q-quantile (0–1) of a histogram, interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does; NaN when empty. Values in the +Inf bucket report the highest finite bound.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.count <= 0 || h.le.length === 0) return Number.NaN;
  const rank = q * h.count;
  for (let i = 0; i < h.le.length; i++) {
    if (h.counts[i] >= rank) {
      if (!Number.isFinite(h.le[i])) return h.le[i - 1] ?? Number.NaN;
      const lower = i === 0 ? 0 : h.le[i - 1];
      const below = i === 0 ? 0 : h.counts[i - 1];
      const inBucket = h.counts[i] - below;
      return inBucket > 0 ? lower + (h.le[i] - lower) * ((rank - below) / inBucket) : h.le[i];
    }
  }
  return h.le[h.le.length - 2] ?? Number.NaN;
}

/** Sum of a counter or gauge over every series matching `where`. */
export function valueOf(samples: readonly PromSample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  return samples.filter((s) => s.name === name && matches(s.labels, where)).reduce((sum, s) => sum + s.value, 0);
}
