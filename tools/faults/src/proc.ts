import { readProcess } from '@oleada/local';

/** Resident memory of a process in MiB, from /proc (undefined once it is gone). */
export function rssMiB(pid: number | undefined): number | undefined {
  const reading = pid === undefined ? undefined : readProcess(pid);
  return reading && !Number.isNaN(reading.rssMiB) ? reading.rssMiB : undefined;
}

export interface RssSeries {
  readonly first: number;
  readonly max: number;
  readonly last: number;
}

/**
 * Samples the RSS of named processes every `intervalMs` until stopped; `pidOf` is asked each time,
 * so a restarted process is followed under its new pid.
 */
export class RssSampler {
  private readonly samples = new Map<string, number[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pidOf: () => Record<string, number | undefined>,
    intervalMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pidOf())) {
      const value = rssMiB(pid);
      if (value === undefined) continue;
      let list = this.samples.get(name);
      if (!list) this.samples.set(name, (list = []));
      list.push(value);
    }
  }

  stop(): Record<string, RssSeries> {
    clearInterval(this.timer);
    this.sample();
    const out: Record<string, RssSeries> = {};
    for (const [name, list] of this.samples) out[name] = { first: list[0], max: Math.max(...list), last: list[list.length - 1] };
    return out;
  }
}
