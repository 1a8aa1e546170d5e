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

  it('uuidv5 is deterministic per name and distinct across names', () => {
    assert.equal(uuidv5('blackfriday:key-1'), uuidv5('blackfriday:key-1'));
    assert.notEqual(uuidv5('blackfriday:key-1'), uuidv5('blackfriday:key-2'));
    assert.match(uuidv5('x'), UUID_PATTERN);
    assert.equal(uuidv5('x')[14], '5');
  });
});
