import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLiveRepository } from '../src/live/live.repository';
import { RedisLiveRepository } from '../src/live/live.repository.redis';
import { SqliteLiveRepository } from '../src/live/live.repository.sqlite';
import { SqliteStore } from '../src/store/sqlite-store';
import { liveRepositoryContract } from './live-repository.contract';
import { type RedisServer, startRedis } from './redis-server';

liveRepositoryContract(
  'in-memory',
  async () => {
    const repo = new MemoryLiveRepository();
    return { repo, peer: repo };
  },
  async () => undefined,
);

let server: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.close();
});

liveRepositoryContract(
  'redis (two replicas)',
  async () => {
    const make = () => {
      const client = new Redis(server.url);
      clients.push(client);
      return new RedisLiveRepository(client);
    };
    const repo = make();
    await clients[0].flushall();
    return { repo, peer: make(), reopen: async () => make() };
  },
  async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  },
  { durable: true },
);

// One process owns the file: the peer is the same repository; reopen is a restart.
let dir = '';
let store: SqliteStore | null = null;
const open = () => {
  store = SqliteStore.open(dir);
  return new SqliteLiveRepository(store);
};
liveRepositoryContract(
  'sqlite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-live-repo-'));
    const repo = open();
    return {
      repo,
      peer: repo,
      reopen: async () => {
        store?.close();
        return open();
      },
    };
  },
  async () => {
    store?.close();
    store = null;
    rmSync(dir, { recursive: true, force: true });
  },
  { durable: true },
);
