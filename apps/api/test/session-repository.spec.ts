import { initialPlaybackState } from '@watch-party/sync-core';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../src/common/clock';
import { MemorySessionRepository } from '../src/session/session.repository.memory';
import { RedisSessionRepository } from '../src/session/session.repository.redis';
import { SqliteSessionRepository } from '../src/session/session.repository.sqlite';
import { SqliteStore } from '../src/store/sqlite-store';
import { type RedisServer, startRedis } from './redis-server';
import { sessionRepositoryContract } from './session-repository.contract';

let memory: MemorySessionRepository | null = null;
sessionRepositoryContract(
  'in-memory',
  async () => {
    memory = new MemorySessionRepository(new SystemClock());
    return { repo: memory, peer: memory };
  },
  async () => {
    await memory?.close();
  },
);

let server: RedisServer;
const clients: Redis[] = [];
const repos: RedisSessionRepository[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.close();
});

sessionRepositoryContract(
  'redis (two replicas)',
  async () => {
    const make = (replica: string) => {
      const client = new Redis(server.url);
      clients.push(client);
      const repo = new RedisSessionRepository(client, replica);
      repos.push(repo);
      return repo;
    };
    const repo = make('replica-a');
    return {
      repo,
      peer: make('replica-b'),
      reopen: async () => {
        await repo.close();
        return make('replica-a-restarted');
      },
    };
  },
  async () => {
    await Promise.all(repos.splice(0).map((r) => r.close()));
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  },
  { durable: true },
);

// One process owns the file: the peer is the same repository; reopen is a restart.
let sqliteDir = '';
let sqlite: { store: SqliteStore; repo: SqliteSessionRepository } | null = null;
const openSqlite = () => {
  const store = SqliteStore.open(sqliteDir);
  sqlite = { store, repo: new SqliteSessionRepository(store, new SystemClock()) };
  return sqlite.repo;
};
const closeSqlite = async () => {
  await sqlite?.repo.close();
  sqlite?.store.close();
  sqlite = null;
};
sessionRepositoryContract(
  'sqlite',
  async () => {
    sqliteDir = mkdtempSync(join(tmpdir(), 'wp-session-repo-'));
    const repo = openSqlite();
    return {
      repo,
      peer: repo,
      reopen: async () => {
        await closeSqlite();
        return openSqlite();
      },
    };
  },
  async () => {
    await closeSqlite();
    rmSync(sqliteDir, { recursive: true, force: true });
  },
  { durable: true },
);

describe('RedisSessionRepository presence', () => {
  it('stops counting the sockets of a replica whose heartbeat stopped', async () => {
    const a = new Redis(server.url);
    const b = new Redis(server.url);
    const repoA = new RedisSessionRepository(a, 'dead-replica');
    const repoB = new RedisSessionRepository(b, 'live-replica');
    const host = { id: 'host-participant-1', name: 'Ann', role: 'host' as const, joinedAt: 1, status: 'paused' as const, driftMs: null };
    const session = { id: 'session-presence-1', name: 'x', passwordHash: null, createdAt: '', controlPolicy: 'host' as const, waitForBuffering: false, source: null, bufferingHold: null };
    await repoB.create(session, host, initialPlaybackState(0), 60_000);
    await repoA.addConnection(session.id, 'sock-1', host.id, 60_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(await repoB.connectedParticipantIds(session.id)).toEqual(new Set([host.id]));
    // The replica "dies": its heartbeat key goes away as it would after 15 s without beats.
    await repoA.close();
    expect(await repoB.connectedParticipantIds(session.id)).toEqual(new Set());
    expect(await b.hlen(`wp:{${session.id}}:conns`)).toBe(0); // stale entries are cleaned
    await repoB.close();
    await a.quit();
    await b.quit();
  });
});
