import { type ApiInstance, type ClientSocket, startApi } from './api-instance';
import { type RedisServer, startRedis } from './redis-server';

/** Two in-process API replicas sharing one real redis-server, and the sockets a test opened. */
export interface ReplicaPair {
  readonly redis: RedisServer;
  readonly a: ApiInstance;
  readonly b: ApiInstance;
  /** Sockets to close after each test: push what you open. */
  readonly sockets: ClientSocket[];
}

/**
 * For the `describe` that calls it: starts Redis and two replicas before its tests (with `env`
 * added to each replica's environment), closes the sockets in `sockets` after each test, and
 * stops everything after the last one. Read the fields inside tests (they exist from beforeAll).
 */
export function useReplicaPair(env: Record<string, string> = {}): ReplicaPair {
  let started: { redis: RedisServer; a: ApiInstance; b: ApiInstance } | null = null;
  const sockets: ClientSocket[] = [];
  const need = () => {
    if (!started) throw new Error('the replica pair starts in beforeAll: use it inside tests');
    return started;
  };
  beforeAll(async () => {
    const redis = await startRedis();
    const a = await startApi({ REDIS_URL: redis.url, ...env });
    const b = await startApi({ REDIS_URL: redis.url, ...env });
    started = { redis, a, b };
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    if (!started) return;
    await started.a.close();
    await started.b.close();
    await started.redis.close();
  });
  return {
    get redis() {
      return need().redis;
    },
    get a() {
      return need().a;
    },
    get b() {
      return need().b;
    },
    sockets,
  };
}
