import { z } from 'zod';

/**
 * Zod compiles fast object parsers with `new Function` unless told not to, and probes for it when
 * the first object schema is built. Our Content-Security-Policy (`script-src 'self'`) forbids
 * eval, so the probe is refused and browsers log a CSP violation on every load. Imported first
 * by main.ts: it must run before any schema (the contracts) is created.
 */
z.config({ jitless: true });
