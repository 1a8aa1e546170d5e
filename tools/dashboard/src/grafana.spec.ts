import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculate, convertFieldType, filterFieldsByName, organize, reduceToRows, sortBy, VALKEY_DATASOURCE, type StoredRedisQuery } from '@oleada/dashboards';
import { formatValue } from './format';
import { rowsOf, type Frame } from './frames';
import { applyTransformations, interpolate } from './grafana';
import { commandOf } from './redis-datasource';

/** One row with a field per hash field: the redis-datasource's HGETALL frame. */
const hgetall: Frame = {
  name: 'hgetall',
  fields: [
    { name: 'Ropa', type: 'number', values: [3], config: {} },
    { name: 'Electronica', type: 'number', values: [12], config: {} },
    { name: 'Hogar', type: 'number', values: [5], config: {} },
  ],
};

describe('Grafana variable interpolation', () => {
  const values = { category: ['Ropa', 'Hogar'], one: ['a.b'] };
  it('formats multi-value variables like Grafana', () => {
    assert.equal(interpolate('^${category:regex}$', values), '^(Ropa|Hogar)$');
    assert.equal(interpolate('^${one:regex}$', values), '^a\\.b$');
    assert.equal(interpolate('$one and ${one}', values), 'a.b and a.b');
    assert.equal(interpolate('${category:csv}', values), 'Ropa,Hogar');
    assert.equal(interpolate('$unknown', values), '$unknown');
  });
});

describe('Grafana transformations as the dashboards use them', () => {
  it('filters fields, orders them and reduces them to one row per field (Field, Total)', () => {
    const [frame] = applyTransformations([hgetall], [filterFieldsByName('^(Ropa|Electronica)$'), organize({ order: ['Electronica', 'Ropa'] }), reduceToRows()], {});
    assert.deepEqual(rowsOf(frame), [
      { Field: 'Electronica', Total: 12 },
      { Field: 'Ropa', Total: 3 },
    ]);
  });

  it('scales with a binary calculation and renames, leaving a frame without the operand alone', () => {
    const [frame] = applyTransformations([hgetall], [reduceToRows(), calculate('Total', '/', 100, 'GTQ'), organize({ exclude: ['Total'] })], {});
    assert.deepEqual(rowsOf(frame), [
      { Field: 'Ropa', GTQ: 0.03 },
      { Field: 'Electronica', GTQ: 0.12 },
      { Field: 'Hogar', GTQ: 0.05 },
    ]);
    const [untouched] = applyTransformations([hgetall], [calculate('Nope', '/', 'Ropa', 'x')], {});
    assert.deepEqual(untouched, hgetall);
  });

  it('sorts rows by a field, highest first, nulls last', () => {
    const [frame] = applyTransformations([hgetall], [reduceToRows(), sortBy('Total', true)], {});
    assert.deepEqual(
      rowsOf(frame).map((r) => r.Field),
      ['Electronica', 'Hogar', 'Ropa'],
    );
  });

  it('turns epoch-minute field names into a time field', () => {
    const series: Frame = { fields: [{ name: '29000001', type: 'number', values: [4], config: {} }, { name: '29000000', type: 'number', values: [7], config: {} }] };
    const [frame] = applyTransformations(
      [series],
      [reduceToRows(), convertFieldType('Field', 'number'), calculate('Field', '*', 60_000, 'Time'), convertFieldType('Time', 'time'), organize({ order: ['Time', 'Total'], exclude: ['Field'] }), sortBy('Time', false)],
      {},
    );
    assert.deepEqual(frame.fields.map((f) => [f.name, f.type]), [
      ['Time', 'time'],
      ['Total', 'number'],
    ]);
    assert.deepEqual(rowsOf(frame), [
      { Time: 29_000_000 * 60_000, Total: 7 },
      { Time: 29_000_001 * 60_000, Total: 4 },
    ]);
  });

  it('refuses a transformation it does not reproduce', () => {
    assert.throws(() => applyTransformations([hgetall], [{ id: 'merge', options: {} } as never], {}), /not reproduced/);
  });
});

describe('the redis-datasource commands', () => {
  const query = (q: Partial<StoredRedisQuery>): StoredRedisQuery => ({ refId: 'A', datasource: VALKEY_DATASOURCE, type: 'command', command: 'get', keyName: 'k', ...q });
  it('sends the plugin’s commands, ZRANGE with REV before WITHSCORES', () => {
    assert.deepEqual(commandOf(query({ command: 'hgetall' })), ['HGETALL', 'k']);
    assert.deepEqual(commandOf(query({ command: 'get' })), ['GET', 'k']);
    assert.deepEqual(commandOf(query({ command: 'zrange', min: '0', max: '9', zrangeQuery: 'REV' })), ['ZRANGE', 'k', '0', '9', 'REV', 'WITHSCORES']);
    assert.deepEqual(commandOf(query({ command: 'zrange', min: '0', max: '-1' })), ['ZRANGE', 'k', '0', '-1', 'WITHSCORES']);
  });
});

describe("Grafana's unit formatting", () => {
  it('formats the units the dashboards use', () => {
    assert.equal(formatValue(1234567.891, 'currency:Q', 2), 'Q1.23M');
    assert.equal(formatValue(99.5, 'currency:Q', 2), 'Q99.50');
    assert.equal(formatValue(1042, 'suffix: reports', 0), '1042 reports');
    assert.equal(formatValue(21.456, 'celsius', 1), '21.5 °C');
    assert.equal(formatValue(null, 'short', 0, '0'), '0');
  });
});
