import { createHash, randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** The 8-4-4-4-12 lower-case hex form of the 16 bytes at `offset`. */
function format(b: Uint8Array, offset = 0): string {
  const o = offset;
  return (
    HEX[b[o]] + HEX[b[o + 1]] + HEX[b[o + 2]] + HEX[b[o + 3]] + '-' +
    HEX[b[o + 4]] + HEX[b[o + 5]] + '-' +
    HEX[b[o + 6]] + HEX[b[o + 7]] + '-' +
    HEX[b[o + 8]] + HEX[b[o + 9]] + '-' +
    HEX[b[o + 10]] + HEX[b[o + 11]] + HEX[b[o + 12]] + HEX[b[o + 13]] + HEX[b[o + 14]] + HEX[b[o + 15]]
  );
}

/**
 * Random bytes for 256 ids, refilled from the CSPRNG when used up: one randomFillSync per 256 ids
 * instead of a randomBytes call (and a Buffer) per id. Each id takes its own 16 bytes once.
 */
const pool = Buffer.allocUnsafe(16 * 256);
let poolOffset = pool.length;

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits; sorts by creation time. */
export function uuidv7(now = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 16;
  pool.writeUIntBE(now, o, 6);
  pool[o + 6] = (pool[o + 6] & 0x0f) | 0x70;
  pool[o + 8] = (pool[o + 8] & 0x3f) | 0x80;
  return format(pool, o);
}

/** Namespace of ids derived from Idempotency-Key headers (a fixed, random UUID of ours). */
const IDEMPOTENCY_NAMESPACE = Buffer.from('5b0e2a4c7d1f4e8a9c3b6d2e1f0a7b4c', 'hex');

/** RFC 9562 UUIDv5 of `name` in Oleada's namespace: the same key always gives the same id. */
export function uuidv5(name: string): string {
  const digest = createHash('sha1').update(IDEMPOTENCY_NAMESPACE).update(name, 'utf8').digest();
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  return format(digest);
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an Idempotency-Key (HTTP header or gRPC metadata) may be: 1-200 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * The event id an idempotency key stands for, within a scenario: the same key always gives the same
 * id, so a retried request is counted once. `index` numbers the events of one batch request.
 */
export function idempotentEventId(scenario: string, key: string, index?: number): string {
  return uuidv5(index === undefined ? `${scenario}:${key}` : `${scenario}:${key}:${index}`);
}
