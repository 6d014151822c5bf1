import { createRng, fixedDelay, sampleDelay } from './prng';
import { CHROMIUM_PLAY_LATENCY, SimulatedPlayer } from './simulated-player';

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
