import type { $ZodConfig } from 'zod/v4/core';

/**
 * Zod compiles fast object parsers with `new Function` unless told not to, and probes for it when
 * the first object schema is built. Our Content-Security-Policy (`script-src 'self'`) forbids
 * eval, so the probe is refused and browsers log a CSP violation on every load. Imported first
 * by main.ts: it must run before any schema (the contracts) is created.
 */
export const ZOD_CONFIG: Readonly<Partial<$ZodConfig>> = Object.freeze({ jitless: true });

/** Where zod keeps its one config object, shared by every copy of zod on the page. */
interface ZodConfigHolder {
  __zod_globalConfig?: Partial<$ZodConfig>;
}

/**
 * Applies ZOD_CONFIG without importing zod: zod reads its config from
 * `globalThis.__zod_globalConfig` and keeps an object found there before it loads (its documented
 * way to configure it early, `z.config()` writes the same object). Importing zod here, even only
 * its `config`, would put all of zod (every locale included) in the initial bundle, although only
 * lazily loaded pages build schemas.
 */
export function configureZod(holder: ZodConfigHolder = globalThis as ZodConfigHolder): void {
  holder.__zod_globalConfig = Object.assign(holder.__zod_globalConfig ?? {}, ZOD_CONFIG);
}

configureZod();
