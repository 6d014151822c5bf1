import { createRng, fixedDelay, sampleDelay } from './prng';
import {
  CHROMIUM_PLAY_LATENCY,
  FIREFOX_LIKE,
  SimulatedPlayer,
  WEBKIT_LIKE,
} from './simulated-player';

const fixed = () =>
  new SimulatedPlayer({
    rng: createRng(1),
    playLatency: fixedDelay(85),
    seekedDelay: fixedDelay(77),
    seekResume: fixedDelay(150),
    rateLatency: fixedDelay(85),
  });

describe('SimulatedPlayer (measured Chromium behaviour)', () => {
  it('moves the clock only ~85 ms after play()', () => {
    const p = fixed();
    p.play(1000);
    expect(p.paused(1000)).toBe(false);
    expect(p.currentTime(1084)).toBe(0);
    expect(p.currentTime(1085 + 1000)).toBeCloseTo(1, 9);
  });

  it('stops at once on pause()', () => {
    const p = fixed();
    p.play(0);
    p.pause(1085);
    expect(p.currentTime(5000)).toBeCloseTo(1, 9);
  });

  it('reports seeking until `seeked`, and resumes a playing seek ~150 ms after it was issued', () => {
    const p = fixed();
    p.play(0);
    p.seek(1000, 20);
    expect(p.currentTime(1000)).toBe(20);
    expect(p.seeking(1076)).toBe(true);
    expect(p.seeking(1077)).toBe(false);
    expect(p.currentTime(1150)).toBe(20);
    expect(p.currentTime(1250)).toBeCloseTo(20.1, 9);
  });

  it('applies playbackRate writes ~85 ms late, while reading back the new value at once', () => {
    const p = fixed();
    p.play(0); // moving from 85 ms
    p.setPlaybackRate(1085, 2);
    expect(p.playbackRate).toBe(2);
    expect(p.currentTime(1170)).toBeCloseTo(1.085, 9);
    expect(p.currentTime(2170)).toBeCloseTo(3.085, 9);
  });

  it('stallClock: the clock stands still that long and the time is lost; a paused player is left alone', () => {
    const p = fixed();
    p.play(0);
    p.stallClock(1085, 900);
    expect(p.currentTime(1985)).toBeCloseTo(1, 9);
    expect(p.currentTime(2985)).toBeCloseTo(2, 9);
    const q = fixed();
    q.stallClock(0, 900);
    q.play(0);
    expect(q.currentTime(1085)).toBeCloseTo(1, 9);
  });

  it('clamps seeks below 0 and refuses time going backwards', () => {
    const p = fixed();
    p.seek(10, -5);
    expect(p.currentTime(10)).toBe(0);
    expect(() => p.currentTime(5)).toThrow(/backwards/);
  });

  it('draws jitter inside the measured range, deterministically per seed', () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 500 },
        (
          (rng) => () =>
            sampleDelay(rng, CHROMIUM_PLAY_LATENCY)
        )(createRng(seed)),
      );
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(73);
    expect(Math.max(...a)).toBeLessThanOrEqual(96);
    const sorted = [...a].sort((x, y) => x - y);
    expect(sorted[250]).toBeGreaterThan(82);
    expect(sorted[250]).toBeLessThan(88);
  });
});

/** Chromium timings without jitter, plus one engine's quirks. */
const quirky = (quirks: object, seed = 1) =>
  new SimulatedPlayer({
    rng: createRng(seed),
    playLatency: fixedDelay(85),
    seekedDelay: fixedDelay(77),
    seekResume: fixedDelay(150),
    rateLatency: fixedDelay(85),
    ...quirks,
  });

describe('SimulatedPlayer quirks (issue 15 measurements)', () => {
  it('Firefox-like: reads step every 40 ms (0-40 ms behind a smooth true clock); paused reads are exact', () => {
    const p = quirky(FIREFOX_LIKE);
    expect(p.currentTime(0)).toBe(0);
    p.play(0);
    const offsets = Array.from({ length: 200 }, (_, i) => {
      const t = 1000 + i * 100;
      return (p.currentTime(t) - p.truePosition(t)) * 1000;
    });
    expect(Math.max(...offsets.map(Math.abs))).toBeLessThanOrEqual(25);
    const jumps = offsets.slice(1).map((o, i) => Math.abs(o - offsets[i]));
    const sortedJumps = [...jumps].sort((a, b) => a - b);
    expect(sortedJumps[jumps.length >> 1]).toBeGreaterThan(8); // typical jump 10-30 ms
    expect(p.truePosition(20_900)).toBeCloseTo(20.815, 9); // smooth underneath
    p.pause(21_000);
    expect(p.currentTime(21_100)).toBe(p.truePosition(21_100));
  });

  it('rateWriteFreeze: a rate write freezes reads 100-500 ms while the media plays on, then they jump', () => {
    const p = quirky({ rateWriteFreeze: { min: 100, typical: 250, max: 500 } });
    p.play(0);
    p.setPlaybackRate(1085, 1.05); // clock moves from 85 ms: at 1085 it is at 1.000
    expect(p.currentTime(1135)).toBe(1);
    expect(p.currentTime(1185)).toBe(1);
    expect(p.truePosition(1185)).toBeGreaterThan(1.09);
    expect(p.currentTime(1700)).toBe(p.truePosition(1700));
    expect(p.quirkCounts.frozen).toBe(1);
  });

  it('WebKit-like: a rate write stalls the clock 40-250 ms (the time is lost), reads stand still with it', () => {
    const p = quirky(WEBKIT_LIKE);
    p.play(0);
    // WebKit's play() moves the clock within 2-20 ms.
    const started = 100 - p.truePosition(100) * 1000;
    expect(started).toBeGreaterThanOrEqual(2);
    expect(started).toBeLessThanOrEqual(20);
    const at = p.truePosition(1085);
    p.setPlaybackRate(1085, 1);
    expect(p.currentTime(1115)).toBe(at);
    expect(p.truePosition(1120)).toBe(at);
    const lostMs = 2000 - 1085 - (p.truePosition(2000) - at) * 1000;
    expect(lostMs).toBeGreaterThanOrEqual(40);
    expect(lostMs).toBeLessThanOrEqual(250);
    expect(p.currentTime(2000)).toBe(p.truePosition(2000));
    expect(p.quirkCounts.frozen).toBe(1);
  });

  it('WebKit-like: rate writes during or within 300 ms after a seek are dropped, read back all the same', () => {
    const p = quirky(WEBKIT_LIKE);
    p.play(0);
    p.seek(1000, 10); // seeked at 1077, resumes at 1150
    p.setPlaybackRate(1050, 2); // during the seek
    expect(p.playbackRate).toBe(2);
    p.setPlaybackRate(1300, 2); // 223 ms after seeked
    expect(p.currentTime(2300)).toBeCloseTo(11.15, 9); // still 1.0x
    expect(p.quirkCounts.dropped).toBe(2);
    p.setPlaybackRate(2300, 2); // long after: taken (after a stall of 100-250 ms)
    const lostMs = (11.15 + 0.085 + 2 - p.truePosition(3385)) * 1000;
    expect(lostMs).toBeGreaterThanOrEqual(40);
    expect(lostMs).toBeLessThanOrEqual(250 * 2);
  });

  it('WebKit-like: a seek in the same instant as a rate write may land at double its target', () => {
    let doubled = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const p = quirky(WEBKIT_LIKE, seed);
      p.setPlaybackRate(1000, 1.5);
      p.seek(1000, 14);
      const landed = p.truePosition(1000);
      expect([14, 28]).toContain(landed);
      if (landed === 28) doubled++;
      const q = quirky(WEBKIT_LIKE, seed);
      q.setPlaybackRate(1000, 1.5);
      q.seek(1050, 14); // a tick later: never doubled
      expect(q.truePosition(1050)).toBe(14);
    }
    expect(doubled).toBeGreaterThan(5);
    expect(doubled).toBeLessThan(35);
  });
});
