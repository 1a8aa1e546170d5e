export interface RateLimitOptions {
  /** Sustained requests per second allowed to one client. */
  readonly perSecond: number;
  /** Requests one client may send at once after being idle. @default perSecond (at least 1) */
  readonly burst?: number;
  /** Most clients remembered; beyond it the least recently seen are forgotten. @default 100000 */
  readonly maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per client: each holds up to `burst` tokens, refilled at `perSecond`; a request
 * takes one. Memory is bounded by `maxClients`: a client forgotten comes back with a full bucket,
 * which errs on the side of letting it in.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxClients: number;

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(options.perSecond > 0)) throw new Error('rate limit perSecond must be > 0');
    this.rate = options.perSecond / 1000;
    this.burst = Math.max(1, options.burst ?? Math.ceil(options.perSecond));
    this.maxClients = options.maxClients ?? 100_000;
  }

  /** Takes a token for `client`: 0 when the request may go ahead, else the seconds until it may. */
  take(client: string): number {
    const now = this.now();
    const bucket = this.buckets.get(client);
    let tokens = this.burst;
    if (bucket) {
      tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.rate);
      this.buckets.delete(client); // re-inserted below: the Map stays ordered by last use
    }
    if (tokens >= 1) {
      this.remember(client, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.remember(client, { tokens, at: now });
    return (1 - tokens) / this.rate / 1000;
  }

  get size(): number {
    return this.buckets.size;
  }

  private remember(client: string, bucket: Bucket): void {
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
