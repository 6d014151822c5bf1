import { BitrateMeter } from './bitrate-meter';

describe('BitrateMeter', () => {
  it('caps the bitrate averaged over the window', () => {
    let now = 0;
    const meter = new BitrateMeter(8_000_000, 5000, () => now);
    // 6 Mbit/s for 10 s: always fine.
    for (let t = 0; t < 10_000; t += 100) {
      now = t;
      expect(meter.add(75_000)).toBe(true);
    }
    // A burst of 6 MB within a second: over 8 Mbit/s averaged over 5 s.
    const burst = new BitrateMeter(8_000_000, 5000, () => now);
    const results = Array.from({ length: 6 }, () => burst.add(1_000_000));
    expect(results.slice(0, 5).every(Boolean)).toBe(true);
    expect(results[5]).toBe(false);
  });
});
