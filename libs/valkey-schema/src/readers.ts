import type Valkey from 'iovalkey';

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
