import { FakeClock } from '../common/testing/fake-clock';
import { MemoryRateLimiter } from './rate-limiter';

describe('MemoryRateLimiter', () => {
  let clock: FakeClock;
  let limiter: MemoryRateLimiter;
  beforeEach(() => {
    clock = new FakeClock();
    limiter = new MemoryRateLimiter(clock);
  });

  it('counts every hit, this one included, and says how long until the window resets', async () => {
    expect(await limiter.hit('k', 1000)).toEqual({ count: 1, resetInMs: 1000 });
    await clock.advance(300);
    expect(await limiter.hit('k', 1000)).toEqual({ count: 2, resetInMs: 700 });
    expect(await limiter.hit('other', 1000)).toEqual({ count: 1, resetInMs: 1000 });
  });

  it('uses fixed windows from the first hit: the last millisecond still counts, the next starts afresh', async () => {
    await limiter.hit('k', 1000);
    await clock.advance(999);
    expect((await limiter.hit('k', 1000)).count).toBe(2);
    await clock.advance(1);
    expect(await limiter.hit('k', 1000)).toEqual({ count: 1, resetInMs: 1000 });
  });

  it('peeks without counting, and reads nothing from an ended or unknown window', async () => {
    await limiter.hit('k', 60_000);
    await limiter.hit('k', 60_000);
    expect(await limiter.peek('k')).toEqual({ count: 2, resetInMs: 60_000 });
    expect(await limiter.peek('k')).toEqual({ count: 2, resetInMs: 60_000 });
    expect(await limiter.peek('never')).toEqual({ count: 0, resetInMs: 0 });
    await clock.advance(60_000);
    expect(await limiter.peek('k')).toEqual({ count: 0, resetInMs: 0 });
  });

  it('gives each of 200 simultaneous hits its own count', async () => {
    const counts = (await Promise.all(Array.from({ length: 200 }, () => limiter.hit('burst', 1000)))).map((c) => c.count);
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});
