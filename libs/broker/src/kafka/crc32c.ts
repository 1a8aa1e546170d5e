import { Module } from 'node:module';
import { kafkajsInternal } from './kafkajs-internals';

/** CRC-32C (Castagnoli), reflected: the checksum of a Kafka record batch (v2, KIP-98). */
const POLYNOMIAL = 0x82f63b78;

/**
 * Eight tables of 256 entries (slicing-by-8): table k maps a byte to its contribution k bytes
 * further on, so the main loop folds eight bytes per step instead of one.
 */
const TABLE = ((): Int32Array => {
  const table = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n];
    for (let k = 1; k < 8; k++) {
      c = table[c & 0xff] ^ (c >>> 8);
      table[k * 256 + n] = c;
    }
  }
  return table;
})();

/** Folds the bytes `from` … `to` (a multiple of eight apart) into `crc`, eight at a time. */
function foldEights(bytes: Uint8Array, crc: number, from: number, to: number): number {
  for (let i = from; i < to; i += 8) {
    const low = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      TABLE[1792 + (low & 0xff)] ^
      TABLE[1536 + ((low >>> 8) & 0xff)] ^
      TABLE[1280 + ((low >>> 16) & 0xff)] ^
      TABLE[1024 + (low >>> 24)] ^
      TABLE[768 + bytes[i + 4]] ^
      TABLE[512 + bytes[i + 5]] ^
      TABLE[256 + bytes[i + 6]] ^
      TABLE[bytes[i + 7]];
  }
  return crc;
}

/** Folds the bytes `from` … `to` into `crc` one at a time. */
function foldBytes(bytes: Uint8Array, crc: number, from: number, to: number): number {
  for (let i = from; i < to; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

/**
 * CRC-32C of `bytes` as a signed 32-bit integer (the same 32 bits as the unsigned checksum). Every
 * value it computes with stays a 32-bit integer, and each loop is a function of its own: V8
 * optimizes a long loop while it runs (on-stack replacement), before code after it ever ran, and
 * an optimized loop with the rest of the function in it bailed out on that rest at every later
 * call ("insufficient type feedback", the same optimized code each time).
 */
export function crc32cSigned(bytes: Uint8Array): number {
  const whole = bytes.length - (bytes.length & 7);
  return foldBytes(bytes, foldEights(bytes, -1, 0, whole), whole, bytes.length) ^ -1;
}

/** CRC-32C of `bytes`, unsigned (0 … 2³² − 1), as a record batch header carries it. */
export function crc32c(bytes: Uint8Array): number {
  const signed = crc32cSigned(bytes);
  return signed < 0 ? signed + 0x1_0000_0000 : signed;
}

/** Where kafkajs 2.2.4 keeps its CRC-32C, the module its record batch encoder requires. */
const KAFKAJS_CRC32C = './src/protocol/recordBatch/crc32C/index.js';
const KAFKAJS_RECORD_BATCH = './src/protocol/recordBatch/v0/index.js';

/** The CRC-32C function kafkajs's record batch encoder uses (after useOwnCrc32c: crc32c). */
export function kafkajsCrc32c(): (bytes: Buffer) => number {
  return kafkajsInternal(KAFKAJS_CRC32C) as (bytes: Buffer) => number;
}

/**
 * Makes kafkajs checksum every record batch it produces with crc32c. Its own loop computes
 * `(crc ^ -1) >>> 0`, whose result is at or above 2³¹ for half of all batches: in the writers'
 * profiles V8's optimized code for it bailed out on "lost precision" again and again without
 * being replaced (126 bailouts of the same optimized code in one writer in 20 s under load, none
 * in another), so which writer ran its checksum in the interpreter changed from one start to the
 * next. crc32c computes in 32-bit integers only and folds eight bytes per step; the conversion to
 * unsigned is a plain addition. Then each batch allocated a one-element Uint32Array to make its
 * checksum unsigned; no more.
 *
 * kafkajs requires its checksum module when a producer first encodes a batch, so the module's
 * exports are put in Node's module cache before that: kafka-client calls this when imported, before
 * any client of the apps exists. Returns false, changing nothing, when kafkajs loaded its own
 * already (a tool that produced through kafkajs directly first); resolving the module throws when
 * kafkajs no longer has it where 2.2.4 has it, so an upgrade cannot drop this unnoticed.
 */
export function useOwnCrc32c(): boolean {
  const path = kafkajsInternal.resolve(KAFKAJS_CRC32C);
  const cached = require.cache[path];
  if (cached) return cached.exports === crc32c;
  if (require.cache[kafkajsInternal.resolve(KAFKAJS_RECORD_BATCH)]) return false;
  const own = new Module(path);
  own.filename = path;
  own.loaded = true;
  own.exports = crc32c;
  require.cache[path] = own;
  return true;
}
