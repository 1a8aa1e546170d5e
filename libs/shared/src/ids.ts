import { createHash, randomBytes } from 'node:crypto';

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits; sorts by creation time. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

/** Namespace of ids derived from Idempotency-Key headers (a fixed, random UUID of ours). */
const IDEMPOTENCY_NAMESPACE = Buffer.from('5b0e2a4c7d1f4e8a9c3b6d2e1f0a7b4c', 'hex');

/** RFC 9562 UUIDv5 of `name` in Oleada's namespace: the same key always gives the same id. */
export function uuidv5(name: string): string {
  const digest = createHash('sha1').update(IDEMPOTENCY_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  return format(digest);
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
