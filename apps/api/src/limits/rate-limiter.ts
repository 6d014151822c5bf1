import type { Redis } from 'ioredis';
import type { StatementSync } from 'node:sqlite';
import { LuaScript } from '../redis/lua-script';
import type { SqliteStore } from '../store/sqlite-store';
import type { Clock } from '../common/clock';

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

/** Past this many windows, the memory limiter drops the expired ones when it opens a new one. */
const PRUNE_ABOVE_WINDOWS = 100_000;

export class MemoryRateLimiter extends RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly clock: Clock) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.windows.size > PRUNE_ABOVE_WINDOWS) this.prune(now);
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

/** Windows this long or longer are kept in the SQLite store; shorter ones are not worth a write. */
export const DURABLE_WINDOW_MS = 60_000;
/** Expired windows are deleted every this many durable hits. */
const PRUNE_EVERY_HITS = 1000;

/**
 * One process without Redis: windows of a minute or more (uploads per hour, password attempts,
 * parties created) are kept in the SQLite store, so a restart does not hand out a fresh budget;
 * per-second windows (socket events) stay in memory, off the disk. Each durable hit is one
 * transaction without a flush: it survives the process being killed, as the limits need.
 */
export class SqliteRateLimiter extends RateLimiter {
  private readonly memory: MemoryRateLimiter;
  private readonly getQ: StatementSync;
  private readonly setQ: StatementSync;
  private readonly pruneQ: StatementSync;
  private hits = 0;

  constructor(
    private readonly store: SqliteStore,
    private readonly clock: Clock,
  ) {
    super();
    this.memory = new MemoryRateLimiter(clock);
    this.getQ = store.prepare('SELECT count, reset_at FROM rate_limits WHERE key = ?');
    this.setQ = store.prepare('INSERT OR REPLACE INTO rate_limits (key, count, reset_at) VALUES (?, ?, ?)');
    this.pruneQ = store.prepare('DELETE FROM rate_limits WHERE reset_at <= ?');
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    if (windowMs < DURABLE_WINDOW_MS) return this.memory.hit(key, windowMs);
    const now = this.clock.now();
    return this.store.relaxed(() => {
      if (++this.hits % PRUNE_EVERY_HITS === 0) this.pruneQ.run(now);
      const row = this.getQ.get(key) as { count: number; reset_at: number } | undefined;
      const live = row !== undefined && row.reset_at > now;
      const count = live ? row.count + 1 : 1;
      const resetAt = live ? row.reset_at : now + windowMs;
      this.setQ.run(key, count, resetAt);
      return { count, resetInMs: resetAt - now };
    });
  }

  async peek(key: string): Promise<WindowCount> {
    const short = await this.memory.peek(key);
    if (short.count > 0) return short;
    const now = this.clock.now();
    const row = this.getQ.get(key) as { count: number; reset_at: number } | undefined;
    return row && row.reset_at > now ? { count: row.count, resetInMs: row.reset_at - now } : { count: 0, resetInMs: 0 };
  }
}
