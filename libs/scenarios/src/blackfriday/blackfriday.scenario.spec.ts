import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blackfriday as pb } from '@oleada/contracts';
import { seededRandom } from '../random';
import { InvalidRecordError } from '../scenario';
import { blackfridayScenario as scenario, CATEGORIES } from './blackfriday.scenario';

const valid = { categoria: 'Electronica', producto_id: 'ELEC-TV55-4K', precio: 3499.99, cantidad_vendida: 2 };
const meta = { eventId: '01930000-0000-7000-8000-000000000000', acceptedAt: 0, topic: 'blackfriday.sales' };

function fieldOf(body: unknown): string | undefined {
  const result = scenario.body.safeParse(body);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.join('.');
}

describe('blackfriday REST schema', () => {
  it('accepts a sale with the category by name or by number', () => {
    assert.ok(scenario.body.safeParse(valid).success);
    assert.ok(scenario.body.safeParse({ ...valid, categoria: 4 }).success);
  });

  const rejected: Array<[string, unknown, string]> = [
    ['unknown category', { ...valid, categoria: 'Juguetes' }, 'categoria'],
    ['category 0', { ...valid, categoria: 0 }, 'categoria'],
    ['category 5', { ...valid, categoria: 5 }, 'categoria'],
    ['zero quantity', { ...valid, cantidad_vendida: 0 }, 'cantidad_vendida'],
    ['negative quantity', { ...valid, cantidad_vendida: -1 }, 'cantidad_vendida'],
    ['fractional quantity', { ...valid, cantidad_vendida: 1.5 }, 'cantidad_vendida'],
    ['negative price', { ...valid, precio: -5 }, 'precio'],
    ['zero price', { ...valid, precio: 0 }, 'precio'],
    ['huge price', { ...valid, precio: 1e12 }, 'precio'],
    ['sub-cent price', { ...valid, precio: 1.001 }, 'precio'],
    ['price as string', { ...valid, precio: '10' }, 'precio'],
    ['empty product', { ...valid, producto_id: '' }, 'producto_id'],
    ['missing product', { categoria: 1, precio: 1, cantidad_vendida: 1 }, 'producto_id'],
    ['extra field', { ...valid, descuento: 10 }, 'descuento'],
  ];
  for (const [name, body, field] of rejected) {
    it(`rejects ${name}, naming ${field}`, () => assert.equal(fieldOf(body), field));
  }
});

describe('blackfriday wire mapping', () => {
  it('maps the body to the spec message and back through protobuf', () => {
    const message = scenario.toMessage(scenario.body.parse(valid));
    assert.deepEqual(message, { categoria: pb.CategoriaProducto.Electronica, productoId: 'ELEC-TV55-4K', precio: 3499.99, cantidadVendida: 2 });
    assert.equal(scenario.checkMessage(message), undefined);
    const record = scenario.decode(scenario.encode(message), meta);
    assert.deepEqual(record, { categoria: 'Electronica', productoId: 'ELEC-TV55-4K', priceCents: 349_999, quantity: 2 });
  });

  it('keeps the spec field numbers (1 categoria, 2 producto_id, 3 precio, 4 cantidad_vendida)', () => {
    const bytes = scenario.encode({ categoria: 2, productoId: 'X', precio: 1, cantidadVendida: 3 });
    // tag = field number << 3 | wire type: 0x08 varint(1), 0x12 len(2), 0x19 fixed64(3), 0x20 varint(4)
    assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 2]);
    assert.equal(bytes[2], 0x12);
    assert.equal(bytes[5], 0x19);
    assert.equal(bytes[14], 0x20);
  });

  it('refuses category 0 on the wire and undecodable bytes', () => {
    assert.match(scenario.checkMessage({ categoria: 0, productoId: 'X', precio: 1, cantidadVendida: 1 }) ?? '', /categoria 0/);
    assert.throws(() => scenario.decode(scenario.encode({ categoria: 0, productoId: 'X', precio: 1, cantidadVendida: 1 }), meta), InvalidRecordError);
    assert.throws(() => scenario.decode(Buffer.from([0xff, 0xff, 0xff]), meta), InvalidRecordError);
  });
});

describe('blackfriday sample data', () => {
  it('draws valid, reproducible sales covering every category', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const body = scenario.sample(a);
      assert.deepEqual(body, scenario.sample(b));
      assert.ok(scenario.body.safeParse(body).success, JSON.stringify(body));
      seen.add(String(body.categoria));
    }
    assert.deepEqual([...seen].sort(), [...CATEGORIES].sort());
  });
});
