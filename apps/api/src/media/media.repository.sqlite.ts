import type { StatementSync } from 'node:sqlite';
import type { SqliteStore } from '../store/sqlite-store';
import { type MediaPatch, type MediaRecord, MediaRepository } from './media.repository';

/**
 * The media library in the SQLite store (no REDIS_URL): it survives a restart. The record
 * is kept whole as JSON, so fields added to MediaRecord round-trip without a migration.
 */
export class SqliteMediaRepository extends MediaRepository {
  private readonly insertQ: StatementSync;
  private readonly getQ: StatementSync;
  private readonly listQ: StatementSync;
  private readonly setQ: StatementSync;
  private readonly deleteQ: StatementSync;

  constructor(private readonly store: SqliteStore) {
    super();
    this.insertQ = store.prepare('INSERT OR REPLACE INTO media (id, created_at, record) VALUES (?, ?, ?)');
    this.getQ = store.prepare('SELECT record FROM media WHERE id = ?');
    this.listQ = store.prepare('SELECT record FROM media ORDER BY created_at DESC, rowid DESC');
    this.setQ = store.prepare('UPDATE media SET record = ? WHERE id = ?');
    this.deleteQ = store.prepare('DELETE FROM media WHERE id = ?');
  }

  async insert(record: MediaRecord) {
    this.store.transaction(() => this.insertQ.run(record.id, record.createdAt, JSON.stringify(record)));
  }

  async get(id: string) {
    return this.read(id);
  }

  async list() {
    return (this.listQ.all() as { record: string }[]).map((r) => JSON.parse(r.record) as MediaRecord);
  }

  async update(id: string, patch: MediaPatch) {
    return this.store.transaction(() => {
      const current = this.read(id);
      if (!current) return null;
      const next = { ...current, ...(JSON.parse(JSON.stringify(patch)) as MediaPatch) };
      this.setQ.run(JSON.stringify(next), id);
      return next;
    });
  }

  async delete(id: string) {
    return this.store.transaction(() => Number(this.deleteQ.run(id).changes) > 0);
  }

  private read(id: string): MediaRecord | null {
    const row = this.getQ.get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as MediaRecord) : null;
  }
}
