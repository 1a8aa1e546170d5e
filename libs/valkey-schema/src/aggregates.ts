import { BUCKET_TTL_SECONDS, epochMinute, type ScenarioKeys } from './keys';

/**
 * What a scenario keeps in Valkey, declared once. The consumer turns each event into operations
 * from these declarations; dashboards and readers find the same keys from them.
 *
 * - `hash`:    HINCRBY metric[field] by — one bar per field (`HGETALL`). With `group`, one hash per
 *              group value (`metric:<group>`, e.g. `conditions:mixco`): one bar chart per group.
 * - `zset`:    ZINCRBY metric by member — rankings (`ZREVRANGE … WITHSCORES`).
 * - `counter`: INCRBY metric by — totals.
 * - `min`/`max`: metric[field] = min/max(current, value) — atomically, inside the function.
 * - `mean`:    HINCRBY metric[`<field>:sum`] value and metric[`<field>:count`] 1 — both in the same
 *              hash and the same atomic call, so one `HGETALL` always gives a consistent mean.
 * - `bucket`:  HINCRBY metric:<minute>[field] by, with a TTL — per-minute series; and HINCRBY
 *              metric:series[<minute>] by, trimmed of minutes older than the TTL — the recent
 *              per-minute totals under one fixed key, for dashboards.
 *
 * All values are integers (money in cents, temperatures in tenths); Valkey keeps exact integers.
 */
export type Aggregate<E> =
  | HashAggregate<E>
  | ZsetAggregate<E>
  | CounterAggregate<E>
  | ExtremumAggregate<E>
  | MeanAggregate<E>
  | BucketAggregate<E>;

interface AggregateBase {
  /** Key suffix, e.g. `count` → `oleada:blackfriday:count`. */
  readonly metric: string;
  /** Human title, used by dashboards. */
  readonly title: string;
  /** Unit shown by dashboards, e.g. `cents`, `units`, `events`. */
  readonly unit?: string;
  /** Divisor to turn the stored integer into the displayed value (100 for cents). */
  readonly scale?: number;
}

export interface HashAggregate<E> extends AggregateBase {
  readonly kind: 'hash';
  /** Field names a dashboard should expect (e.g. every category), in display order. */
  readonly fields: readonly string[];
  readonly field: (event: E) => string;
  readonly by: (event: E) => number;
  /** Splits the metric into one hash per group value (key `metric:<group>`). @default one hash */
  readonly group?: AggregateGroup<E>;
}

/** A key suffix taken from the event: one key per value. */
export interface AggregateGroup<E> {
  /** Every value a dashboard should expect, in display order. */
  readonly values: readonly string[];
  readonly of: (event: E) => string;
}

export interface ZsetAggregate<E> extends AggregateBase {
  readonly kind: 'zset';
  readonly member: (event: E) => string;
  readonly by: (event: E) => number;
}

export interface CounterAggregate<E> extends AggregateBase {
  readonly kind: 'counter';
  readonly by: (event: E) => number;
}

export interface ExtremumAggregate<E> extends AggregateBase {
  readonly kind: 'min' | 'max';
  readonly fields: readonly string[];
  readonly field: (event: E) => string;
  readonly value: (event: E) => number;
}

export interface MeanAggregate<E> extends AggregateBase {
  readonly kind: 'mean';
  readonly fields: readonly string[];
  readonly field: (event: E) => string;
  /** The integer to average (e.g. a temperature in tenths of a degree). */
  readonly value: (event: E) => number;
}

/** Hash fields of a `mean` aggregate for one field. */
export function meanFields(field: string): { readonly sum: string; readonly count: string } {
  return { sum: `${field}:sum`, count: `${field}:count` };
}

/** The keys an aggregate writes besides time buckets: one, or one per group value. */
export function aggregateKeys<E>(aggregate: Aggregate<E>, keys: ScenarioKeys): string[] {
  if (aggregate.kind === 'bucket') return [];
  if (aggregate.kind === 'hash' && aggregate.group) return aggregate.group.values.map((group) => keys.metric(aggregate.metric, group));
  return [keys.metric(aggregate.metric)];
}

export interface BucketAggregate<E> extends AggregateBase {
  readonly kind: 'bucket';
  readonly fields: readonly string[];
  readonly field: (event: E) => string;
  readonly by: (event: E) => number;
  /** @default BUCKET_TTL_SECONDS */
  readonly ttlSeconds?: number;
}

/** One primitive the Valkey function applies. Codes are the wire format of `FCALL`. */
export type Operation =
  | { readonly code: 'H'; readonly key: string; readonly field: string; readonly value: number }
  | { readonly code: 'Z'; readonly key: string; readonly field: string; readonly value: number }
  | { readonly code: 'I'; readonly key: string; readonly field: ''; readonly value: number }
  | { readonly code: 'm' | 'M'; readonly key: string; readonly field: string; readonly value: number }
  | { readonly code: 'E'; readonly key: string; readonly field: ''; readonly value: number }
  /** Trim: delete the hash's fields whose numeric name is below `value`. */
  | { readonly code: 'T'; readonly key: string; readonly field: ''; readonly value: number };

/** The operations one event causes, under the given keys. `acceptedAt` picks the minute bucket. */
export function operationsFor<E>(
  aggregates: readonly Aggregate<E>[],
  keys: ScenarioKeys,
  event: E,
  acceptedAt: number,
): Operation[] {
  const ops: Operation[] = [];
  for (const aggregate of aggregates) {
    switch (aggregate.kind) {
      case 'hash':
        ops.push({
          code: 'H',
          key: keys.metric(aggregate.metric, aggregate.group?.of(event)),
          field: aggregate.field(event),
          value: aggregate.by(event),
        });
        break;
      case 'mean': {
        const key = keys.metric(aggregate.metric);
        const fields = meanFields(aggregate.field(event));
        ops.push({ code: 'H', key, field: fields.sum, value: aggregate.value(event) });
        ops.push({ code: 'H', key, field: fields.count, value: 1 });
        break;
      }
      case 'zset':
        ops.push({ code: 'Z', key: keys.metric(aggregate.metric), field: aggregate.member(event), value: aggregate.by(event) });
        break;
      case 'counter':
        ops.push({ code: 'I', key: keys.metric(aggregate.metric), field: '', value: aggregate.by(event) });
        break;
      case 'min':
      case 'max':
        ops.push({
          code: aggregate.kind === 'min' ? 'm' : 'M',
          key: keys.metric(aggregate.metric),
          field: aggregate.field(event),
          value: aggregate.value(event),
        });
        break;
      case 'bucket': {
        const minute = epochMinute(acceptedAt);
        const ttl = aggregate.ttlSeconds ?? BUCKET_TTL_SECONDS;
        const key = keys.bucket(aggregate.metric, minute);
        const by = aggregate.by(event);
        ops.push({ code: 'H', key, field: aggregate.field(event), value: by });
        ops.push({ code: 'E', key, field: '', value: ttl });
        const series = keys.series(aggregate.metric);
        ops.push({ code: 'H', key: series, field: String(minute), value: by });
        ops.push({ code: 'T', key: series, field: '', value: minute - Math.ceil(ttl / 60) });
        break;
      }
    }
  }
  for (const op of ops) {
    if (!Number.isSafeInteger(op.value)) throw new RangeError(`${op.key} ${op.field}: ${op.value} is not a safe integer`);
  }
  return ops;
}
