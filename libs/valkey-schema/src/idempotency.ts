import type Valkey from 'iovalkey';

/** What a request's claim on its Idempotency-Key found: the key unused, used with the same body, or with another. */
export type IdempotencyClaim = 'first' | 'same' | 'different';

/**
 * Binds `key` (ScenarioKeys.idempotency) to `fingerprint` unless it is bound already, and says which:
 * one atomic `SET NX GET`, so of two requests racing with one key and different bodies exactly one
 * is 'first' and the other 'different', whichever gateway replica each reached. The record lives
 * `ttlSeconds`: at least as long as the consumers remember event ids, or a reused key could again
 * be answered 202 for a body the consumer then drops as a duplicate.
 */
export async function claimIdempotencyKey(client: Valkey, key: string, fingerprint: string, ttlSeconds: number): Promise<IdempotencyClaim> {
  const previous = (await client.call('SET', key, fingerprint, 'NX', 'GET', 'EX', String(ttlSeconds))) as string | null;
  if (previous === null) return 'first';
  return previous === fingerprint ? 'same' : 'different';
}
