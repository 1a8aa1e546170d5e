import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Valkey from 'iovalkey';
import { operationsFor, type Aggregate } from './aggregates';
import { applyBatch, loadAggregationFunction, type PreparedEvent } from './apply';
import { FUNCTION_LIBRARY } from './function';
import { ScenarioKeys } from './keys';
import { readAggregates } from './readers';

// Runs against the real Valkey that `npm test` starts (VALKEY_URL).
const url = process.env.VALKEY_URL;

interface Sale {
  id: string;
  category: string;
  cents: number;
  qty: number;
}
const aggregates: Aggregate<Sale>[] = [
  { kind: 'hash', metric: 'reports', title: 'r', fields: ['A', 'B'], field: (s) => s.category, by: () => 1 },
  { kind: 'hash', metric: 'revenue', title: 'v', fields: ['A', 'B'], field: (s) => s.category, by: (s) => s.cents * s.qty },
  { kind: 'zset', metric: 'top', title: 't', member: (s) => `p-${s.category}`, by: (s) => s.qty },
  { kind: 'counter', metric: 'total', title: 'n', by: () => 1 },
  { kind: 'min', metric: 'low', title: 'l', fields: ['A', 'B'], field: (s) => s.category, value: (s) => s.cents },
  { kind: 'max', metric: 'high', title: 'h', fields: ['A', 'B'], field: (s) => s.category, value: (s) => s.cents },
  { kind: 'bucket', metric: 'per_minute', title: 'p', fields: ['A', 'B'], field: (s) => s.category, by: () => 1, ttlSeconds: 90 },
];

describe('oleada_apply on a real Valkey', () => {
  let client: Valkey;
  let keys: ScenarioKeys;
  const prepare = (sales: Sale[]): PreparedEvent[] => sales.map((s) => ({ seenKey: keys.seen(s.id), operations: operationsFor(aggregates, keys, s, 60_000) }));

  before(async () => {
    assert.ok(url, 'VALKEY_URL is not set: run with `npm test`, which starts Valkey');
    client = new Valkey(url, { lazyConnect: true, maxRetriesPerRequest: 1, username: process.env.VALKEY_USERNAME, password: process.env.VALKEY_PASSWORD });
    await client.connect();
    keys = new ScenarioKeys('fntest', { namespace: `test${Date.now().toString(36)}` });
    await client.call('FUNCTION', 'DELETE', FUNCTION_LIBRARY).catch(() => undefined);
    await loadAggregationFunction(client);
    await loadAggregationFunction(client); // idempotent
  });
  after(async () => {
    const stale = await client.keys(keys.pattern());
    if (stale.length > 0) await client.del(...stale);
    client.disconnect();
  });

  it('applies a batch, summing within it, and keeps min/max, ranking and buckets', async () => {
    const sales = [
      { id: 'e1', category: 'A', cents: 500, qty: 2 },
      { id: 'e2', category: 'A', cents: 300, qty: 1 },
      { id: 'e3', category: 'B', cents: 900, qty: 4 },
    ];
    assert.deepEqual(await applyBatch(client, prepare(sales), 600), { applied: 3, duplicates: 0 });
    const snapshot = await readAggregates(client, aggregates, keys);
    assert.deepEqual(snapshot.hashes.reports, { A: 2, B: 1 });
    assert.deepEqual(snapshot.hashes.revenue, { A: 1300, B: 3600 });
    assert.deepEqual(snapshot.hashes.low, { A: 300, B: 900 });
    assert.deepEqual(snapshot.hashes.high, { A: 500, B: 900 });
    assert.equal(snapshot.counters.total, 3);
    assert.deepEqual(snapshot.rankings.top, [
      { member: 'p-B', score: 4 },
      { member: 'p-A', score: 3 },
    ]);
    const bucket = keys.bucket('per_minute', 1);
    assert.deepEqual(await client.hgetall(bucket), { A: '2', B: '1' });
    const ttl = await client.ttl(bucket);
    assert.ok(ttl > 0 && ttl <= 90, `bucket TTL ${ttl}`);
    assert.equal(await client.ttl(keys.metric('total')), -1, 'totals never expire');
    assert.deepEqual(await client.hgetall(keys.series('per_minute')), { '1': '3' }, 'the per-minute series sums every field');
    const seenTtl = await client.ttl(keys.seen('e1'));
    assert.ok(seenTtl > 0 && seenTtl <= 600, `seen TTL ${seenTtl}`);
  });

  it('counts a redelivered event once, even inside a batch with new ones', async () => {
    const again = [
      { id: 'e1', category: 'A', cents: 1, qty: 100 },
      { id: 'e4', category: 'B', cents: 100, qty: 1 },
      { id: 'e4', category: 'B', cents: 100, qty: 1 },
    ];
    assert.deepEqual(await applyBatch(client, prepare(again), 600), { applied: 1, duplicates: 2 });
    const snapshot = await readAggregates(client, aggregates, keys);
    assert.equal(snapshot.counters.total, 4);
    assert.deepEqual(snapshot.hashes.reports, { A: 2, B: 2 });
    assert.deepEqual(snapshot.hashes.low, { A: 300, B: 100 }, 'the duplicate e1 with 1 cent changed nothing');
  });

  it('trims the per-minute series to the bucket TTL, keeping the recent minutes', async () => {
    const at = (minute: number, id: string): PreparedEvent => ({
      seenKey: keys.seen(id),
      operations: operationsFor(aggregates, keys, { id, category: 'B', cents: 1, qty: 1 }, minute * 60_000),
    });
    // ttlSeconds 90 keeps two minutes: a sale at minute 10 drops minutes below 8.
    await applyBatch(client, [at(5, 't5'), at(7, 't7'), at(8, 't8')], 600);
    await applyBatch(client, [at(10, 't10')], 600);
    assert.deepEqual(await client.hgetall(keys.series('per_minute')), { '8': '1', '10': '1' });
  });

  it('keeps exact integers beyond 32 bits', async () => {
    const big = [{ id: 'big', category: 'A', cents: 99_999_999, qty: 10_000 }];
    await applyBatch(client, prepare(big), 600);
    const snapshot = await readAggregates(client, aggregates, keys);
    assert.equal(snapshot.hashes.revenue.A, 1300 + 999_999_990_000);
  });

  it('is reloaded when the server lost it', async () => {
    await client.call('FUNCTION', 'DELETE', FUNCTION_LIBRARY);
    await assert.rejects(applyBatch(client, prepare([{ id: 'x', category: 'A', cents: 1, qty: 1 }]), 600), /function not found/i);
    await loadAggregationFunction(client);
    assert.deepEqual(await applyBatch(client, prepare([{ id: 'x', category: 'A', cents: 1, qty: 1 }]), 600), { applied: 1, duplicates: 0 });
  });
});
