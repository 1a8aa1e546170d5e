/** Root of every key Oleada writes. */
export const DEFAULT_NAMESPACE = 'oleada';

/** How long an event id is remembered for deduplication (7 days), unless configured. */
export const DEFAULT_SEEN_TTL_SECONDS = 7 * 24 * 3600;
/** How long a per-minute bucket lives (2 hours). Totals never expire. */
export const BUCKET_TTL_SECONDS = 2 * 3600;

/**
 * Builds every key of one scenario. `variant` separates paths that must be compared side by side
 * (e.g. the same scenario through Kafka and through RabbitMQ): `oleada:weather~rabbitmq:…`.
 * Apps and dashboards call these builders; nothing else writes a key string.
 */
export class ScenarioKeys {
  readonly prefix: string;

  constructor(
    readonly scenario: string,
    readonly options: { readonly namespace?: string; readonly variant?: string } = {},
  ) {
    if (!/^[a-z][a-z0-9-]*$/.test(scenario)) throw new Error(`bad scenario name "${scenario}"`);
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const variant = options.variant ? `~${options.variant}` : '';
    this.prefix = `${namespace}:${scenario}${variant}`;
  }

  /**
   * A hash, sorted set or counter holding one metric for all time; with `group`, the metric's hash
   * for one group value (`oleada:weather:conditions:mixco`).
   */
  metric(metric: string, group?: string): string {
    if (group === undefined) return `${this.prefix}:${metric}`;
    if (!/^[A-Za-z0-9_.-]+$/.test(group)) throw new RangeError(`bad group value "${group}" for ${metric}`);
    return `${this.prefix}:${metric}:${group}`;
  }

  /** The per-minute bucket of a metric; `epochMinute` is Unix time in minutes. */
  bucket(metric: string, epochMinute: number): string {
    return `${this.prefix}:${metric}:${epochMinute}`;
  }

  /**
   * The recent per-minute totals of a bucket metric in one hash (field = epoch minute), trimmed to
   * the bucket TTL: the one fixed key a dashboard reads a per-minute series from (Grafana cannot
   * compute `bucket(metric, now - k)` key names).
   */
  series(metric: string): string {
    return `${this.prefix}:${metric}:series`;
  }

  /** Marker that an event id was already applied. */
  seen(eventId: string): string {
    return `${this.prefix}:seen:${eventId}`;
  }

  /**
   * The record binding an Idempotency-Key (by the event id it stands for) to the fingerprint of the
   * first request that used it. Per scenario, never per variant: it is checked before the fan-out.
   */
  idempotency(requestId: string): string {
    return `${this.prefix}:idempotency:${requestId}`;
  }

  /** Pattern matching every key of this scenario (for tests and resets; never on a hot path). */
  pattern(): string {
    return `${this.prefix}:*`;
  }
}

export function epochMinute(epochMillis: number): number {
  return Math.floor(epochMillis / 60_000);
}
