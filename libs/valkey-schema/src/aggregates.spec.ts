import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateKeys, operationsFor, type Aggregate } from './aggregates';
import { encodeBatch } from './apply';
import { ScenarioKeys } from './keys';
import { meanOf } from './readers';

interface Sale {
  category: string;
  cents: number;
  qty: number;
}
const aggregates: Aggregate<Sale>[] = [
  { kind: 'hash', metric: 'reports', title: 'r', fields: ['A', 'B'], field: (s) => s.category, by: () => 1 },
  { kind: 'zset', metric: 'top', title: 't', member: (s) => s.category, by: (s) => s.qty },
  { kind: 'counter', metric: 'total', title: 'n', by: () => 1 },
  { kind: 'min', metric: 'low', title: 'l', fields: ['A', 'B'], field: (s) => s.category, value: (s) => s.cents },
  { kind: 'bucket', metric: 'per_minute', title: 'p', fields: ['A', 'B'], field: (s) => s.category, by: () => 1, ttlSeconds: 60 },
];

describe('ScenarioKeys', () => {
  it('namespaces every key by scenario and variant', () => {
    const keys = new ScenarioKeys('weather', { variant: 'rabbitmq' });
    assert.equal(keys.metric('total'), 'oleada:weather~rabbitmq:total');
    assert.equal(keys.bucket('per_minute', 42), 'oleada:weather~rabbitmq:per_minute:42');
    assert.equal(keys.seen('id'), 'oleada:weather~rabbitmq:seen:id');
    assert.equal(new ScenarioKeys('blackfriday').metric('reports'), 'oleada:blackfriday:reports');
  });

  it('rejects names that would break the key layout', () => {
    assert.throws(() => new ScenarioKeys('Black Friday'), /bad scenario name/);
    assert.throws(() => new ScenarioKeys('a:b'), /bad scenario name/);
  });
});

describe('operationsFor', () => {
  it('turns one event into one operation per aggregate, buckets with their TTL and their trimmed series', () => {
    const keys = new ScenarioKeys('shop');
    const ops = operationsFor(aggregates, keys, { category: 'A', cents: 1250, qty: 3 }, 120_000);
    assert.deepEqual(ops, [
      { code: 'H', key: 'oleada:shop:reports', field: 'A', value: 1 },
      { code: 'Z', key: 'oleada:shop:top', field: 'A', value: 3 },
      { code: 'I', key: 'oleada:shop:total', field: '', value: 1 },
      { code: 'm', key: 'oleada:shop:low', field: 'A', value: 1250 },
      { code: 'H', key: 'oleada:shop:per_minute:2', field: 'A', value: 1 },
      { code: 'E', key: 'oleada:shop:per_minute:2', field: '', value: 60 },
      { code: 'H', key: 'oleada:shop:per_minute:series', field: '2', value: 1 },
      { code: 'T', key: 'oleada:shop:per_minute:series', field: '', value: 1 },
    ]);
  });

  it('refuses values Valkey could not keep exactly', () => {
    const keys = new ScenarioKeys('shop');
    assert.throws(() => operationsFor(aggregates, keys, { category: 'A', cents: 0.5, qty: 1 }, 0), RangeError);
  });
});

describe('encodeBatch', () => {
  it('passes each distinct key once and refers to it by its 1-based index', () => {
    const keys = new ScenarioKeys('shop');
    const events = [1, 2].map((n) => ({
      seenKey: keys.seen(`e${n}`),
      operations: [{ code: 'I' as const, key: keys.metric('total'), field: '' as const, value: 1 }],
    }));
    const { keys: passed, args } = encodeBatch(events, 600);
    assert.deepEqual(passed, ['oleada:shop:seen:e1', 'oleada:shop:total', 'oleada:shop:seen:e2']);
    assert.equal(args[0], '600');
    assert.deepEqual(JSON.parse(args[1]), [
      [1, 'I', 2, '', 1],
      [3, 'I', 2, '', 1],
    ]);
  });
});

describe('grouped hashes and means', () => {
  interface Report {
    town: string;
    sky: string;
    tenths: number;
  }
  const weather: Aggregate<Report>[] = [
    { kind: 'hash', metric: 'conditions', title: 'c', fields: ['sun', 'fog'], field: (r) => r.sky, by: () => 1, group: { values: ['a', 'b'], of: (r) => r.town } },
    { kind: 'mean', metric: 'temperature', title: 't', fields: ['a', 'b'], field: (r) => r.town, value: (r) => r.tenths },
  ];

  it('writes a grouped hash under its group key, and a mean as sum and count in one hash', () => {
    const keys = new ScenarioKeys('weather');
    assert.deepEqual(operationsFor(weather, keys, { town: 'b', sky: 'fog', tenths: -35 }, 0), [
      { code: 'H', key: 'oleada:weather:conditions:b', field: 'fog', value: 1 },
      { code: 'H', key: 'oleada:weather:temperature', field: 'b:sum', value: -35 },
      { code: 'H', key: 'oleada:weather:temperature', field: 'b:count', value: 1 },
    ]);
    assert.deepEqual(aggregateKeys(weather[0], keys), ['oleada:weather:conditions:a', 'oleada:weather:conditions:b']);
    assert.deepEqual(aggregateKeys(weather[1], keys), ['oleada:weather:temperature']);
  });

  it('refuses a group value that would break the key layout', () => {
    assert.throws(() => operationsFor(weather, new ScenarioKeys('weather'), { town: 'a:b', sky: 'sun', tenths: 1 }, 0), RangeError);
  });

  it('computes a mean from the hash, scaled', () => {
    assert.equal(meanOf({ 'a:sum': 255, 'a:count': 2 }, 'a', 10), 12.75);
    assert.equal(meanOf({}, 'a'), undefined);
  });
});
