import { Redis } from 'ioredis';
import { type RedisServer, startRedis } from './redis-server';
import { FakeClock } from '../src/common/testing/fake-clock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite-store';
import { DURABLE_WINDOW_MS, MemoryRateLimiter, type RateLimiter, RedisRateLimiter, SqliteRateLimiter } from '../src/limits/rate-limiter';

/** The same semantics whatever the backing store; `advance` moves time past the window. */
function contract(name: string, make: () => { limiter: RateLimiter; advance(ms: number): Promise<void> }) {
  describe(name, () => {
    let limiter: RateLimiter;
    let advance: (ms: number) => Promise<void>;
    beforeEach(() => {
      ({ limiter, advance } = make());
    });

    it('counts every hit, this one included, and says when the window resets', async () => {
      const first = await limiter.hit('k', 1000);
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(0);
      expect(first.resetInMs).toBeLessThanOrEqual(1000);
      expect((await limiter.hit('k', 1000)).count).toBe(2);
      expect((await limiter.peek('k')).count).toBe(2);
      expect((await limiter.hit('other', 1000)).count).toBe(1);
    });

    it('gives each of 200 simultaneous hits its own count: no two callers see the same number', async () => {
      const counts = (await Promise.all(Array.from({ length: 200 }, () => limiter.hit('burst', 60_000)))).map((c) => c.count);
      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      // With a limit of 5, exactly 5 of them are within it.
      expect(counts.filter((c) => c <= 5)).toHaveLength(5);
    });

    it('starts a new window once the old one ended', async () => {
      await limiter.hit('w', 200);
      await limiter.hit('w', 200);
      await advance(250);
      expect((await limiter.peek('w')).count).toBe(0);
      expect((await limiter.hit('w', 200)).count).toBe(1);
    });
  });
}

describe('RateLimiter', () => {
  contract('in memory (fake clock)', () => {
    const clock = new FakeClock();
    return {
      limiter: new MemoryRateLimiter(clock),
      advance: (ms) => clock.advance(ms),
    };
  });

  describe('backed by the SQLite store', () => {
    let dir: string;
    const stores: SqliteStore[] = [];
    const open = () => {
      const store = SqliteStore.open(dir);
      stores.push(store);
      return store;
    };
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'wp-rl-'));
    });
    afterEach(() => {
      for (const s of stores.splice(0)) s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    contract('sqlite (fake clock)', () => {
      const clock = new FakeClock();
      return {
        limiter: new SqliteRateLimiter(open(), clock),
        advance: (ms) => clock.advance(ms),
      };
    });

    it('keeps windows of a minute or more across a restart, not per-second ones', async () => {
      const clock = new FakeClock();
      const first = open();
      const before = new SqliteRateLimiter(first, clock);
      for (let i = 0; i < 3; i++) await before.hit('upload:198.51.100.1', 60 * 60_000);
      await before.hit('chat:p1', 1000);
      expect(DURABLE_WINDOW_MS).toBe(60_000);
      first.close();
      const after = new SqliteRateLimiter(open(), clock);
      expect((await after.hit('upload:198.51.100.1', 60 * 60_000)).count).toBe(4);
      expect((await after.hit('chat:p1', 1000)).count).toBe(1);
      await clock.advance(60 * 60_000);
      expect((await after.hit('upload:198.51.100.1', 60 * 60_000)).count).toBe(1);
    });
  });

  describe('backed by a real redis-server', () => {
    let server: RedisServer;
    let client: Redis;
    beforeAll(async () => {
      server = await startRedis();
      client = new Redis(server.url);
    });
    afterAll(async () => {
      client.disconnect();
      await server.close();
    });
    beforeEach(() => client.flushall());

    contract('redis', () => ({
      limiter: new RedisRateLimiter(client),
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
    }));

    it('shares one count between limiters on separate connections (replicas)', async () => {
      const other = new Redis(server.url);
      try {
        const a = new RedisRateLimiter(client);
        const b = new RedisRateLimiter(other);
        const counts = await Promise.all([a.hit('shared', 60_000), b.hit('shared', 60_000), a.hit('shared', 60_000)]);
        expect(counts.map((c) => c.count).sort()).toEqual([1, 2, 3]);
        expect((await a.peek('shared')).count).toBe(3);
        expect(await client.pttl('wp:rl:shared')).toBeGreaterThan(0);
      } finally {
        other.disconnect();
      }
    });
  });
});
