import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: 256 bits, 43 characters. */
export const STREAM_KEY_BYTES = 32;
const STREAM_KEY = /^[A-Za-z0-9_-]{43}$/;

/** A fresh secret stream key; only its hash is stored. */
export function newStreamKey(): string {
  return randomBytes(STREAM_KEY_BYTES).toString('base64url');
}

/** The stored form of a key: sha256, hex. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** `value` has the shape of a key we issue (anything else is refused before a lookup). */
export function isStreamKey(value: unknown): value is string {
  return typeof value === 'string' && STREAM_KEY.test(value);
}

/** Compares in constant time. */
export function keyMatches(given: string, keyHashHex: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = Buffer.from(keyHashHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
