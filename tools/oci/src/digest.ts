import { createHash } from 'node:crypto';

/** `sha256:<hex>` of some bytes: the only digest algorithm this package writes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isSha256Digest(value: string): boolean {
  return DIGEST.test(value);
}

/** Throws unless `bytes` hash to `expected` (and have `size` bytes, when given). */
export function verifyDigest(bytes: Uint8Array, expected: string, size?: number): void {
  if (!isSha256Digest(expected)) throw new Error(`unsupported digest "${expected}" (only sha256 is verified)`);
  if (size !== undefined && bytes.byteLength !== size) {
    throw new Error(`size mismatch: expected ${size} bytes, got ${bytes.byteLength}`);
  }
  const actual = sha256Digest(bytes);
  if (actual !== expected) throw new Error(`digest mismatch: expected ${expected}, got ${actual}`);
}
