import { createRng } from './testing/prng';
import {
  STEP_MAX_AGE_PERIODS,
  STEP_MAX_PERIOD_MS,
  STEP_MIN_INTERVALS,
  STEP_OBSERVATIONS,
  SteppedReads,
} from './stepped-reads';

/** A clock at `rate` from `startMs`; reads step every `stepMs` (0: continuous). */
function element(stepMs: number, rate = 1, startMs = 0, origin = 10) {
  const truth = (t: number) => origin + ((t - startMs) / 1000) * rate;
  const read = (t: number) => (stepMs > 0 ? truth(Math.floor(t / stepMs) * stepMs) : truth(t));
  return { truth, read };
}

/** Looks every `everyMs` (with jitter) for `forMs`; returns the estimate errors (ms) at each look. */
function run(
  reads: SteppedReads,
  el: ReturnType<typeof element>,
  o: {
    fromMs?: number;
    forMs: number;
    everyMs: number;
    jitterMs?: number;
    rate?: number;
    seed?: number;
  },
) {
  const rng = createRng(o.seed ?? 1);
  const rate = o.rate ?? 1;
  const errors: number[] = [];
  let raw = 0;
  for (
    let t = o.fromMs ?? 0;
    t < (o.fromMs ?? 0) + o.forMs;
    t += o.everyMs + rng.next() * (o.jitterMs ?? 0)
  ) {
    const value = el.read(t);
    reads.observe(t, value, rate, true);
    const fresh = reads.read(t, value);
    if (fresh)
      errors.push((fresh.mediaTime + ((t - fresh.atMs) / 1000) * rate - el.truth(t)) * 1000);
    else raw++;
  }
  return { errors, raw };
}

const maxAbs = (xs: number[]) => Math.max(...xs.map(Math.abs));
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

describe('SteppedReads', () => {
  it('learns a 40 ms step seen on ~60 Hz looks and turns reads 0-40 ms behind into the clock within a few ms', () => {
    const reads = new SteppedReads();
    const el = element(40);
    const warm = run(reads, el, { forMs: 1500, everyMs: 16, jitterMs: 2 });
    expect(reads.periodMs).toBeGreaterThan(36);
    expect(reads.periodMs).toBeLessThan(44);
    const { errors } = run(reads, el, {
      fromMs: 1500,
      forMs: 5000,
      everyMs: 16,
      jitterMs: 2,
      seed: 2,
    });
    expect(errors.length).toBeGreaterThan(250);
    // Raw reads average 20 ms behind; the estimate is unbiased and within half a look gap.
    expect(Math.abs(mean(errors))).toBeLessThan(2);
    expect(maxAbs(errors)).toBeLessThan(10);
    expect(warm.raw).toBeGreaterThan(0); // nothing is claimed before the period is known
  });

  it('at 1.5x the step is still recognised (jumps of 60 ms of media every 40 ms)', () => {
    const reads = new SteppedReads();
    const el = element(40, 1.5);
    run(reads, el, { forMs: 1500, everyMs: 16, jitterMs: 2, rate: 1.5 });
    const { errors } = run(reads, el, {
      fromMs: 1500,
      forMs: 3000,
      everyMs: 16,
      jitterMs: 2,
      rate: 1.5,
    });
    expect(errors.length).toBeGreaterThan(150);
    expect(Math.abs(mean(errors))).toBeLessThan(3);
  });

  it('says nothing for continuous reads (Chromium, WebKit): every look sees a new value', () => {
    const reads = new SteppedReads();
    const { errors, raw } = run(reads, element(0), { forMs: 5000, everyMs: 16, jitterMs: 4 });
    expect(errors).toEqual([]);
    expect(raw).toBeGreaterThan(250);
    expect(reads.periodMs).toBeNull();
  });

  it('says nothing when the looks are too sparse to see the steps (a tick every 50 ms)', () => {
    const reads = new SteppedReads();
    run(reads, element(40), { forMs: 5000, everyMs: 50, jitterMs: 3 });
    expect(reads.periodMs).toBeNull();
  });

  it('a clock that freezes (WebKit after a rate write, a stall) reads as frozen again after 1.5 periods', () => {
    const reads = new SteppedReads();
    const el = element(40);
    run(reads, el, { forMs: 2000, everyMs: 16 });
    const period = reads.periodMs ?? Number.NaN;
    const frozen = el.read(2000);
    reads.observe(2000, frozen, 1, true);
    const young = reads.read(2000, frozen);
    expect(young).toBeDefined();
    const late = 2000 + STEP_MAX_AGE_PERIODS * period + 20;
    for (let t = 2016; t <= late; t += 16) reads.observe(t, frozen, 1, true);
    expect(reads.read(late, frozen)).toBeUndefined();
  });

  it('occasional long freezes in continuous reads do not pass for steps', () => {
    const reads = new SteppedReads();
    const el = element(0);
    let t = 0;
    for (let k = 0; k < 10; k++) {
      for (let i = 0; i < 30; i++, t += 16) reads.observe(t, el.read(t), 1, true);
      const held = el.read(t);
      for (let i = 0; i < 15; i++, t += 16) reads.observe(t, held, 1, true); // a 240 ms freeze
    }
    expect(reads.periodMs).toBeNull();
  });

  it('a seek (a jump unlike the step) is not learned as a period; pause and reset start over', () => {
    const reads = new SteppedReads();
    const el = element(40);
    run(reads, el, { forMs: 2000, everyMs: 16 });
    const before = reads.periodMs;
    reads.observe(2016, 100, 1, true); // seek far ahead
    expect(reads.periodMs).toBe(before);
    expect(reads.read(2016, 99)).toBeUndefined(); // not the value it saw
    reads.observe(2032, 100, 1, false); // paused
    expect(reads.read(2032, 100)).toBeUndefined();
    reads.reset();
    expect(reads.periodMs).toBeNull();
  });

  it('periods outside the believable range are not used', () => {
    const reads = new SteppedReads();
    run(reads, element(STEP_MAX_PERIOD_MS * 2), { forMs: 20_000, everyMs: 16 });
    expect(reads.periodMs).toBeNull();
  });

  it('garbage in (NaN, Infinity, negative rates, time going back) never throws or returns non-finite values', () => {
    const rng = createRng(7);
    const reads = new SteppedReads();
    const pick = () =>
      [Number.NaN, Infinity, -Infinity, -1, 0, 1e308, rng.next() * 100][Math.floor(rng.next() * 7)];
    for (let i = 0; i < STEP_OBSERVATIONS * STEP_MIN_INTERVALS * 20; i++) {
      const t = rng.next() < 0.8 ? i * 16 : pick();
      const v = rng.next() < 0.8 ? i * 0.016 : pick();
      reads.observe(t, v, rng.next() < 0.9 ? 1 : pick(), rng.next() < 0.9);
      const r = reads.read(t, v);
      if (r) expect(Number.isFinite(r.mediaTime) && Number.isFinite(r.atMs)).toBe(true);
    }
  });
});
