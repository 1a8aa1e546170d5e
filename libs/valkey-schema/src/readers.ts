import type Valkey from 'iovalkey';
import { meanFields, type Aggregate } from './aggregates';
import type { ScenarioKeys } from './keys';

/** HGETALL with every value parsed as an integer. */
export async function readHash(client: Valkey, key: string): Promise<Record<string, number>> {
  const raw = await client.hgetall(key);
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(raw)) out[field] = Number(value);
  return out;
}

/** The `limit` highest members of a sorted set, highest first. */
export async function readTop(client: Valkey, key: string, limit: number): Promise<Array<{ member: string; score: number }>> {
  const flat = await client.zrevrange(key, 0, limit - 1, 'WITHSCORES');
  const out: Array<{ member: string; score: number }> = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ member: flat[i], score: Number(flat[i + 1]) });
  return out;
}

/** An integer counter; 0 when absent. */
export async function readCounter(client: Valkey, key: string): Promise<number> {
  const value = await client.get(key);
  return value === null ? 0 : Number(value);
}

/**
 * Current values of every all-time aggregate of a scenario (buckets excluded), read in one
 * pipeline. `hashes` is keyed by metric; a grouped hash appears once per group as
 * `<metric>:<group>`, and a `mean` as its raw `<field>:sum` / `<field>:count` fields (see `meanOf`).
 */
export interface AggregateSnapshot {
  readonly hashes: Record<string, Record<string, number>>;
  readonly counters: Record<string, number>;
  readonly rankings: Record<string, Array<{ member: string; score: number }>>;
}

/** The mean of one field of a `mean` aggregate's hash (undefined before any event), divided by `scale`. */
export function meanOf(hash: Record<string, number> | undefined, field: string, scale = 1): number | undefined {
  const { sum, count } = meanFields(field);
  const n = hash?.[count] ?? 0;
  return n === 0 ? undefined : (hash?.[sum] ?? 0) / n / scale;
}

export async function readAggregates<E>(
  client: Valkey,
  aggregates: readonly Aggregate<E>[],
  keys: ScenarioKeys,
  rankingLimit = 10,
): Promise<AggregateSnapshot> {
  const pipeline = client.pipeline();
  const readers: Array<(value: unknown, snapshot: AggregateSnapshot) => void> = [];
  for (const aggregate of aggregates) {
    const key = keys.metric(aggregate.metric);
    const readHashInto = (hashKey: string, name: string) => {
      pipeline.hgetall(hashKey);
      readers.push((value, s) => {
        s.hashes[name] = Object.fromEntries(Object.entries(value as Record<string, string>).map(([f, v]) => [f, Number(v)]));
      });
    };
    switch (aggregate.kind) {
      case 'hash':
        if (aggregate.group) {
          for (const group of aggregate.group.values) readHashInto(keys.metric(aggregate.metric, group), `${aggregate.metric}:${group}`);
        } else {
          readHashInto(key, aggregate.metric);
        }
        break;
      case 'min':
      case 'max':
      case 'mean':
        readHashInto(key, aggregate.metric);
        break;
      case 'counter':
        pipeline.get(key);
        readers.push((value, s) => {
          s.counters[aggregate.metric] = value === null ? 0 : Number(value);
        });
        break;
      case 'zset':
        pipeline.zrevrange(key, 0, rankingLimit - 1, 'WITHSCORES');
        readers.push((value, s) => {
          const flat = value as string[];
          const out: Array<{ member: string; score: number }> = [];
          for (let i = 0; i < flat.length; i += 2) out.push({ member: flat[i], score: Number(flat[i + 1]) });
          s.rankings[aggregate.metric] = out;
        });
        break;
      case 'bucket':
        break;
    }
  }
  const results = (await pipeline.exec()) ?? [];
  const snapshot: AggregateSnapshot = { hashes: {}, counters: {}, rankings: {} };
  results.forEach(([error, value], i) => {
    if (error) throw error;
    readers[i](value, snapshot);
  });
  return snapshot;
}
