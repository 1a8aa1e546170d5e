import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UUID_PATTERN, uuidv5, uuidv7 } from './ids';

describe('event ids', () => {
  it('uuidv7 carries the version, variant and creation time, and sorts by time', () => {
    const early = uuidv7(1_700_000_000_000);
    const late = uuidv7(1_700_000_000_001);
    assert.match(early, UUID_PATTERN);
    assert.equal(early[14], '7');
    assert.ok('89ab'.includes(early[19]));
    assert.equal(parseInt(early.replace(/-/g, '').slice(0, 12), 16), 1_700_000_000_000);
    assert.ok(early < late);
    assert.notEqual(uuidv7(), uuidv7());
  });

  it('uuidv7 ids stay unique and well-formed across many refills of the random pool', () => {
    const now = 1_700_000_000_000;
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) {
      assert.match(id, UUID_PATTERN);
      assert.equal(id[14], '7');
      assert.ok('89ab'.includes(id[19]), id);
      assert.equal(id, id.toLowerCase());
    }
  });

  it('uuidv7 orders by millisecond and encodes the whole 48-bit timestamp', () => {
    const times = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 1_700_000_000_000, 1_700_000_000_001, 2 ** 48 - 1];
    const ids = times.map((t) => uuidv7(t));
    assert.deepEqual([...ids].sort(), ids);
    ids.forEach((id, i) => assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), times[i], id));
  });

  it('uuidv5 is deterministic per name and distinct across names', () => {
    assert.equal(uuidv5('blackfriday:key-1'), uuidv5('blackfriday:key-1'));
    assert.notEqual(uuidv5('blackfriday:key-1'), uuidv5('blackfriday:key-2'));
    assert.match(uuidv5('x'), UUID_PATTERN);
    assert.equal(uuidv5('x')[14], '5');
    // Pinned: a retry must map to the same id across releases, or it would be counted twice.
    assert.equal(uuidv5('blackfriday:key-1'), '8dea57c4-060a-578a-ac87-29a82dd03b84');
  });
});
