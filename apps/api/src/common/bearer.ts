import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const raw = headers.authorization;
  if (typeof raw !== 'string') return null;
  const m = /^Bearer[ ]+([^\s]{1,512})\s*$/i.exec(raw);
  return m ? m[1] : null;
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time: does `given` hash to `expectedHash`? */
export function matchesHash(given: string | null, expectedHash: Buffer): boolean {
  if (given === null) return false;
  const a = sha256(given);
  return a.length === expectedHash.length && timingSafeEqual(a, expectedHash);
}
