/**
 * zod-config sets zod's config without importing zod (to keep zod out of the initial bundle):
 * these tests load a fresh zod after it and check that zod picked the setting up, i.e. that no
 * `new Function` probe runs (a CSP violation in browsers) when object schemas are built and used.
 */
import type * as ZodModule from 'zod';

type Zod = typeof ZodModule;

interface Holder {
  __zod_globalConfig?: Record<string, unknown>;
}
const holder = globalThis as Holder;

/** Builds and uses an object schema on a fresh copy of zod; returns how often `Function` was constructed. */
function functionCallsWhileParsing(configure: () => void): { calls: number; zod: Zod } {
  const realFunction = globalThis.Function;
  let calls = 0;
  const counting = new Proxy(realFunction, {
    construct(target, args: string[]) {
      calls++;
      return Reflect.construct(target, args);
    },
  });
  let zod!: Zod;
  jest.isolateModules(() => {
    configure();
    globalThis.Function = counting;
    try {
      zod = jest.requireActual<Zod>('zod');
      const schema = zod.z.object({ name: zod.z.string(), age: zod.z.number().int() });
      expect(schema.parse({ name: 'Ada', age: 36 })).toEqual({ name: 'Ada', age: 36 });
      expect(schema.safeParse({ name: 'Ada', age: 'x' }).success).toBe(false);
    } finally {
      globalThis.Function = realFunction;
    }
  });
  return { calls, zod };
}

describe('zod-config', () => {
  let saved: Holder['__zod_globalConfig'];
  beforeEach(() => {
    saved = holder.__zod_globalConfig;
    delete holder.__zod_globalConfig;
  });
  afterEach(() => {
    holder.__zod_globalConfig = saved;
  });

  it('without it, zod probes for eval with new Function (the control for the next test)', () => {
    const { calls, zod } = functionCallsWhileParsing(() => undefined);
    expect(zod.config().jitless).toBeUndefined();
    expect(calls).toBeGreaterThan(0);
  });

  it('loaded before zod, it makes zod jitless: no new Function at all', () => {
    const { calls, zod } = functionCallsWhileParsing(() => jest.requireActual('./zod-config'));
    expect(zod.config().jitless).toBe(true);
    expect(calls).toBe(0);
  });

  it('merges into a config object already present instead of replacing it', async () => {
    const { configureZod, ZOD_CONFIG } = await import('./zod-config');
    const target: Holder = { __zod_globalConfig: { customError: 'kept' } };
    configureZod(target);
    expect(target.__zod_globalConfig).toEqual({ customError: 'kept', ...ZOD_CONFIG });
    expect(ZOD_CONFIG.jitless).toBe(true);
    expect(Object.isFrozen(ZOD_CONFIG)).toBe(true);
  });
});
