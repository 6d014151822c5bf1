import { FPS_WINDOW_SEC, OutputFrameRate } from './output-frame-rate';

/** `count` fragments of `seconds` each at `fps`, from `start`. */
function feed(rate: OutputFrameRate, fps: number, seconds: number, count: number, start = 0) {
  for (let i = 0; i < count; i++) rate.add(Math.round(fps * seconds), start + i * seconds);
}

describe('the output frame rate', () => {
  it('is frames over decode time across the fragments seen, to 0.01', () => {
    const rate = new OutputFrameRate();
    expect(rate.fps).toBeNull();
    rate.add(15, 0);
    expect(rate.fps).toBeNull(); // one fragment: its end is not known yet
    rate.add(15, 0.5);
    expect(rate.fps).toBe(30);
    const ntsc = new OutputFrameRate();
    for (let i = 0; i < 20; i++) ntsc.add(15, (i * 15 * 1001) / 30000);
    expect(ntsc.fps).toBe(29.97);
  });

  it(`follows a change within ${FPS_WINDOW_SEC} s (only the latest window counts)`, () => {
    const rate = new OutputFrameRate();
    feed(rate, 60, 0.5, 40);
    expect(rate.fps).toBe(60);
    feed(rate, 24, 0.5, FPS_WINDOW_SEC * 2 + 1, 20);
    expect(rate.fps).toBe(24);
  });

  it('is null for audio only, ignores nonsense, and starts over when the timeline restarts', () => {
    const rate = new OutputFrameRate();
    rate.add(0, null);
    rate.add(0, null);
    expect(rate.fps).toBeNull();
    rate.add(Number.NaN, 1);
    rate.add(-3, 2);
    rate.add(10, Number.POSITIVE_INFINITY);
    expect(rate.fps).toBeNull();
    feed(rate, 30, 0.5, 10, 100);
    expect(rate.fps).toBe(30);
    feed(rate, 24, 0.5, 3, 0); // back to 0: a new timeline
    expect(rate.fps).toBe(24);
  });
});
