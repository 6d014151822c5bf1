import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

// OWASP's scrypt minimum (N=2^17, r=8, p=1) costs ~130 MiB and ~150 ms a hash on this
// machine; 2^15 keeps joins fast on 2 cores while still far beyond GPU-cheap hashes.
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 32;

/** Runs a hash; the caller may queue hashes (each takes ~32 MiB and a thread-pool thread). */
export type HashGate = <T>(task: () => Promise<T>) => Promise<T>;
const ungated: HashGate = (task) => task();

/** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
export async function hashPassword(password: string, gate: HashGate = ungated): Promise<string> {
  const salt = randomBytes(16);
  const hash = await gate(() => scryptAsync(password.normalize('NFKC'), salt, KEY_LEN, PARAMS));
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time comparison; false for any malformed stored hash. */
export async function verifyPassword(password: string, stored: string, gate: HashGate = ungated): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await gate(() =>
    scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: PARAMS.maxmem,
    }),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
