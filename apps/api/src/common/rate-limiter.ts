import type { Redis } from 'ioredis';
import type { Clock } from './clock';
import { LuaScript } from '../redis/lua-script';

export interface WindowCount {
  /** hits in the current window, this one included */
  count: number;
  /** ms until the window resets */
  resetInMs: number;
}

/**
 * Fixed-window counters; shared by all replicas when backed by Redis.
 *
 * To limit something, `hit` first and act only when the returned count is within the limit:
 * the increment and the read are one atomic step, so no burst, however concurrent, gets more
 * than `limit` passes in a window. Deciding on `peek` and hitting afterwards is racy.
 */
export abstract class RateLimiter {
  /** Count one hit against `key` in a window of `windowMs`; the count includes this hit. */
  abstract hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Hits so far in the current window, without counting one (for display, not for limiting). */
  abstract peek(key: string): Promise<WindowCount>;
}

export class MemoryRateLimiter extends RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly clock: Clock) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.windows.size > 100_000) this.prune(now);
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return { count: w.count, resetInMs: w.resetAt - now };
  }

  async peek(key: string): Promise<WindowCount> {
    const now = this.clock.now();
    const w = this.windows.get(key);
    return !w || w.resetAt <= now
      ? { count: 0, resetInMs: 0 }
      : { count: w.count, resetInMs: w.resetAt - now };
  }

  private prune(now: number) {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

const hitScript = new LuaScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`);

export class RedisRateLimiter extends RateLimiter {
  constructor(private readonly redis: Redis) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await hitScript.run(this.redis, [`wp:rl:${key}`], [windowMs])) as [number, number];
    return { count, resetInMs: Math.max(0, ttl) };
  }

  async peek(key: string): Promise<WindowCount> {
    const [count, ttl] = await Promise.all([
      this.redis.get(`wp:rl:${key}`),
      this.redis.pttl(`wp:rl:${key}`),
    ]);
    return { count: count === null ? 0 : Number(count), resetInMs: Math.max(0, ttl) };
  }
}
