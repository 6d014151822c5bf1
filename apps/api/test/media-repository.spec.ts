import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMediaRepository } from '../src/media/media.repository';
import { RedisMediaRepository } from '../src/media/media.repository.redis';
import { SqliteMediaRepository } from '../src/media/media.repository.sqlite';
import { SqliteStore } from '../src/store/sqlite-store';
import { mediaRepositoryContract } from './media-repository.contract';
import { type RedisServer, startRedis } from './redis-server';

mediaRepositoryContract(
  'in-memory',
  async () => {
    const repo = new MemoryMediaRepository();
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

mediaRepositoryContract(
  'redis (two replicas)',
  async () => {
    const make = () => {
      const client = new Redis(server.url);
      clients.push(client);
      return new RedisMediaRepository(client);
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
  return new SqliteMediaRepository(store);
};
mediaRepositoryContract(
  'sqlite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-media-repo-'));
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
