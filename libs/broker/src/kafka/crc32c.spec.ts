import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32c, crc32cSigned, kafkajsCrc32c, useOwnCrc32c } from './crc32c';
import './kafka-client';
import { kafkajsInternal } from './kafkajs-internals';

/** kafkajs 2.2.4's own byte-at-a-time CRC-32C (its inner module, which useOwnCrc32c leaves alone). */
const theirs = kafkajsInternal('./src/protocol/recordBatch/crc32C/crc32C.js') as (bytes: Buffer) => number;

describe('CRC-32C of record batches', () => {
  it('gives the standard check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  });

  it('agrees with kafkajs on every length around the eight-byte steps and on large batches', () => {
    const lengths = [...Array.from({ length: 80 }, (_, i) => i), 1021, 4096, 65_537, 1_048_583];
    for (const length of lengths) {
      const bytes = randomBytes(length);
      const expected = theirs(bytes) >>> 0;
      assert.equal(crc32c(bytes), expected, `length ${length}`);
      assert.equal(crc32cSigned(bytes) >>> 0, expected, `length ${length}, signed`);
    }
  });

  it('gives the same checksum for a view into a larger buffer as for a copy of its bytes', () => {
    const whole = randomBytes(300);
    const view = whole.subarray(5, 262);
    assert.equal(crc32c(view), crc32c(Buffer.from(view)));
  });

  it('is what kafkajs encodes record batches with once kafka-client is imported', () => {
    assert.equal(kafkajsCrc32c(), crc32c);
    assert.equal(useOwnCrc32c(), true, 'a second call finds it installed');
  });
});
