import { initialPlaybackState } from '@watch-party/sync-core';
import { Redis } from 'ioredis';
import { SystemClock } from '../src/common/clock';
import { MemorySessionRepository } from '../src/session/session.repository.memory';
import { RedisSessionRepository } from '../src/session/session.repository.redis';
import { SqliteSessionRepository } from '../src/session/session.repository.sqlite';
import { onEveryStorage } from './repository-matrix';
import { sessionRepositoryContract } from './session-repository.contract';

const storages = onEveryStorage(sessionRepositoryContract, {
  memory: () => new MemorySessionRepository(new SystemClock()),
  redis: (client, replica) => new RedisSessionRepository(client, replica),
  sqlite: (store) => new SqliteSessionRepository(store, new SystemClock()),
  close: (repo) => repo.close(),
});

describe('RedisSessionRepository presence', () => {
  it('stops counting the sockets of a replica whose heartbeat stopped', async () => {
    const a = new Redis(storages.redisUrl());
    const b = new Redis(storages.redisUrl());
    const repoA = new RedisSessionRepository(a, 'dead-replica');
    const repoB = new RedisSessionRepository(b, 'live-replica');
    const host = { id: 'host-participant-1', name: 'Ann', role: 'host' as const, joinedAt: 1, status: 'paused' as const, driftMs: null };
    const session = { id: 'session-presence-1', name: 'x', passwordHash: null, createdAt: '', controlPolicy: 'host' as const, waitForBuffering: false, source: null, bufferingHold: null, queue: [], queuePolicy: 'everyone' as const, locked: false };
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
