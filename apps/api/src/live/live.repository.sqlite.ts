import type { LiveStatus } from '@watch-party/contracts';
import type { StatementSync } from 'node:sqlite';
import type { Clock } from '../common/clock';
import type { SqliteStore } from '../store/sqlite-store';
import { type LivePatch, type LiveRecord, LiveRepository, MemoryLiveRepository } from './live.repository';

/**
 * Live shows in the SQLite store (no REDIS_URL): shows and their recordings survive a
 * restart. The publisher lock is realtime (a publisher is a connection to this process)
 * and stays in memory.
 */
export class SqliteLiveRepository extends LiveRepository {
  private readonly locks: MemoryLiveRepository;
  private readonly insertQ: StatementSync;
  private readonly getQ: StatementSync;
  private readonly byKeyQ: StatementSync;
  private readonly listQ: StatementSync;
  private readonly setQ: StatementSync;

  constructor(
    private readonly store: SqliteStore,
    clock: Clock,
  ) {
    super();
    this.locks = new MemoryLiveRepository(clock);
    this.insertQ = store.prepare('INSERT OR REPLACE INTO live_shows (id, key_hash, created_at, record) VALUES (?, ?, ?, ?)');
    this.getQ = store.prepare('SELECT record FROM live_shows WHERE id = ?');
    this.byKeyQ = store.prepare('SELECT id FROM live_shows WHERE key_hash = ? ORDER BY rowid DESC LIMIT 1');
    this.listQ = store.prepare('SELECT record FROM live_shows ORDER BY created_at DESC, rowid DESC');
    this.setQ = store.prepare('UPDATE live_shows SET record = ? WHERE id = ?');
  }

  async insert(record: LiveRecord) {
    this.store.transaction(() => this.insertQ.run(record.id, record.keyHash, record.createdAt, JSON.stringify(record)));
  }

  async get(id: string) {
    return this.read(id);
  }

  async idForKeyHash(keyHash: string) {
    return (this.byKeyQ.get(keyHash) as { id: string } | undefined)?.id ?? null;
  }

  async list() {
    return (this.listQ.all() as { record: string }[]).map((r) => JSON.parse(r.record) as LiveRecord);
  }

  async update(id: string, patch: LivePatch, from?: LiveStatus[]) {
    return this.store.transaction(() => {
      const current = this.read(id);
      if (!current || (from && !from.includes(current.status))) return null;
      const next = { ...current, ...(JSON.parse(JSON.stringify(patch)) as LivePatch) };
      this.setQ.run(JSON.stringify(next), id);
      return next;
    });
  }

  claimPublisher(id: string, owner: string, ttlMs: number) {
    return this.locks.claimPublisher(id, owner, ttlMs);
  }

  refreshPublisher(id: string, owner: string, ttlMs: number) {
    return this.locks.refreshPublisher(id, owner, ttlMs);
  }

  releasePublisher(id: string, owner: string) {
    return this.locks.releasePublisher(id, owner);
  }

  publisherHeld(id: string) {
    return this.locks.publisherHeld(id);
  }

  private read(id: string): LiveRecord | null {
    const row = this.getQ.get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as LiveRecord) : null;
  }
}
