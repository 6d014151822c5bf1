/**
 * Seeded pseudo-random numbers so simulations are reproducible: a failing seed fails every
 * run, and the figures quoted from the tests do not change between runs.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: tiny, fast, and good enough for simulation jitter (not for cryptography). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A measured delay: observed range and typical (p50-ish) value, in ms. */
export interface DelayRange {
  min: number;
  typical: number;
  max: number;
}

/** A fixed delay, for tests that want no jitter. */
export function fixedDelay(ms: number): DelayRange {
  return { min: ms, typical: ms, max: ms };
}

/**
 * Triangular draw on [min, max] peaking at `typical`: bounded like the measurements (no
 * impossible tails) yet concentrated near the typical value like real latencies.
 */
export function sampleDelay(rng: Rng, d: DelayRange): number {
  const { min, max } = d;
  if (max <= min) return min;
  const mode = Math.min(max, Math.max(min, d.typical));
  const u = rng.next();
  const split = (mode - min) / (max - min);
  return u < split
    ? min + Math.sqrt(u * (max - min) * (mode - min))
    : max - Math.sqrt((1 - u) * (max - min) * (max - mode));
}
