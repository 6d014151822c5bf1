import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite-store';
import { type RedisServer, startRedis } from './redis-server';

/** What a repository contract suite runs against. */
export interface RepositoryFixture<R> {
  repo: R;
  /** A second view of the same storage (another replica), or the same repo in one process. */
  peer: R;
  /**
   * Durable storages: close this repository and open a new one on the same storage, as a
   * restarted process would (teardown then closes the new one).
   */
  reopen?: () => Promise<R>;
}

export type RepositoryContract<R> = (
  name: string,
  setup: () => Promise<RepositoryFixture<R>>,
  teardown: () => Promise<void>,
  options?: { durable?: boolean },
) => void;

/** How to make one repository on each storage. */
export interface Implementations<R> {
  memory(): R;
  /** `replica` tells two views of one Redis apart (presence is per replica). */
  redis(client: Redis, replica: string): R;
  sqlite(store: SqliteStore): R;
  /** Stops a repository's own timers, if it has any. */
  close?(repo: R): Promise<void>;
}

/**
 * Runs `contract` on every implementation: in memory (the unit tests' fake), Redis (two replicas
 * on a real redis-server; reopen = a replica restarted) and SQLite (one process owns the file;
 * reopen = the process restarted on the same DATA_DIR). Call at the top level of a spec file.
 */
export function onEveryStorage<R>(contract: RepositoryContract<R>, make: Implementations<R>): { redisUrl: () => string } {
  const close = async (repo: R | null) => {
    if (repo !== null) await make.close?.(repo);
  };

  let memory: R | null = null;
  contract(
    'in-memory',
    async () => {
      memory = make.memory();
      return { repo: memory, peer: memory };
    },
    () => close(memory),
  );

  let server: RedisServer;
  const clients: Redis[] = [];
  const opened: R[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server.close());
  contract(
    'redis (two replicas)',
    async () => {
      const open = (replica: string, client = new Redis(server.url)) => {
        clients.push(client);
        const repo = make.redis(client, replica);
        opened.push(repo);
        return repo;
      };
      const first = new Redis(server.url);
      await first.flushall(); // before any repository writes (presence heartbeats)
      const repo = open('replica-a', first);
      return {
        repo,
        peer: open('replica-b'),
        reopen: async () => {
          await close(repo);
          return open('replica-a-restarted');
        },
      };
    },
    async () => {
      for (const repo of opened.splice(0)) await close(repo);
      await Promise.all(clients.splice(0).map((c) => c.quit()));
    },
    { durable: true },
  );

  let dir = '';
  let current: { store: SqliteStore; repo: R } | null = null;
  const openSqlite = () => {
    const store = SqliteStore.open(dir);
    current = { store, repo: make.sqlite(store) };
    return current.repo;
  };
  const closeSqlite = async () => {
    await close(current?.repo ?? null);
    current?.store.close();
    current = null;
  };
  contract(
    'sqlite',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'wp-repo-'));
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
      rmSync(dir, { recursive: true, force: true });
    },
    { durable: true },
  );

  return { redisUrl: () => server.url };
}
