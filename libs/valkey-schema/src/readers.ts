import type Valkey from 'iovalkey';
import type { Aggregate } from './aggregates';
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

/** Current values of every all-time aggregate of a scenario (buckets excluded), read in one pipeline. */
export interface AggregateSnapshot {
  readonly hashes: Record<string, Record<string, number>>;
  readonly counters: Record<string, number>;
  readonly rankings: Record<string, Array<{ member: string; score: number }>>;
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
    switch (aggregate.kind) {
      case 'hash':
      case 'min':
      case 'max':
        pipeline.hgetall(key);
        readers.push((value, s) => {
          s.hashes[aggregate.metric] = Object.fromEntries(Object.entries(value as Record<string, string>).map(([f, v]) => [f, Number(v)]));
        });
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
