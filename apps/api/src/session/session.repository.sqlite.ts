import type { ChatMessage, PlaybackState, QueueItem } from '@watch-party/contracts';
import type { StatementSync } from 'node:sqlite';
import type { Clock, Timer } from '../common/clock';
import type { SqliteStore } from '../store/sqlite-store';
import {
  type AddParticipantResult,
  type AddQueueItemResult,
  type BanResult,
  type CasResult,
  type ParticipantPatch,
  type ParticipantRecord,
  SessionRepository,
  type SessionPatch,
  type SessionRecord,
  mergesInto,
  withSessionDefaults,
} from './session.repository';

const SWEEP_MS = 60_000;
/** Participant fields that are live reports, rewritten every second by each client. */
const REPORT_FIELDS: ReadonlySet<string> = new Set<keyof ParticipantPatch>(['status', 'driftMs']);

interface SessionRow {
  record: string;
  state: string;
}

/**
 * Parties in the SQLite store (no REDIS_URL): they survive a restart. Presence (which
 * sockets are connected) is realtime and stays in memory: after a restart nobody is.
 * Each method runs synchronously in one transaction, so it is atomic like the Lua scripts
 * of the Redis repository; an expired session reads as absent and is deleted by the sweep.
 */
export class SqliteSessionRepository extends SessionRepository {
  private readonly connections = new Map<string, Map<string, string>>();
  private readonly sweeper: Timer;
  private readonly q: Record<
    | 'deleteSession'
    | 'deleteParticipants'
    | 'deleteChat'
    | 'deleteBans'
    | 'insertBan'
    | 'isBanned'
    | 'countBans'
    | 'deleteClientIds'
    | 'getClientId'
    | 'putClientId'
    | 'expiredClientIds'
    | 'lastChat'
    | 'setChat'
    | 'insertSession'
    | 'getSession'
    | 'exists'
    | 'touch'
    | 'setRecord'
    | 'setState'
    | 'upsertParticipant'
    | 'getParticipant'
    | 'listParticipants'
    | 'countParticipants'
    | 'setParticipant'
    | 'removeParticipant'
    | 'appendChat'
    | 'trimChat'
    | 'recentChat'
    | 'expired',
    StatementSync
  >;

  constructor(
    private readonly store: SqliteStore,
    private readonly clock: Clock,
  ) {
    super();
    const s = (sql: string) => store.prepare(sql);
    const alive = 'EXISTS (SELECT 1 FROM sessions WHERE id = ? AND expires_at > ?)';
    this.q = {
      deleteSession: s('DELETE FROM sessions WHERE id = ?'),
      deleteParticipants: s('DELETE FROM participants WHERE session_id = ?'),
      deleteChat: s('DELETE FROM chat WHERE session_id = ?'),
      deleteBans: s('DELETE FROM session_bans WHERE session_id = ?'),
      insertBan: s('INSERT OR IGNORE INTO session_bans (session_id, device_id) VALUES (?, ?)'),
      isBanned: s(`SELECT 1 AS ok FROM session_bans WHERE session_id = ? AND device_id = ? AND ${alive}`),
      countBans: s('SELECT count(*) AS n FROM session_bans WHERE session_id = ?'),
      deleteClientIds: s('DELETE FROM chat_client_ids WHERE session_id = ?'),
      getClientId: s(
        'SELECT message FROM chat_client_ids WHERE session_id = ? AND participant_id = ? AND client_id = ? AND expires_at > ?',
      ),
      putClientId: s(
        `INSERT INTO chat_client_ids (session_id, participant_id, client_id, message, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (session_id, participant_id, client_id) DO UPDATE SET message = excluded.message, expires_at = excluded.expires_at`,
      ),
      expiredClientIds: s('DELETE FROM chat_client_ids WHERE expires_at <= ?'),
      lastChat: s('SELECT seq, message FROM chat WHERE session_id = ? ORDER BY seq DESC LIMIT 1'),
      setChat: s('UPDATE chat SET message = ? WHERE seq = ?'),
      insertSession: s('INSERT INTO sessions (id, record, state, expires_at) VALUES (?, ?, ?, ?)'),
      getSession: s('SELECT record, state FROM sessions WHERE id = ? AND expires_at > ?'),
      exists: s('SELECT 1 AS ok FROM sessions WHERE id = ? AND expires_at > ?'),
      touch: s('UPDATE sessions SET expires_at = ? WHERE id = ?'),
      setRecord: s('UPDATE sessions SET record = ? WHERE id = ?'),
      setState: s('UPDATE sessions SET state = ? WHERE id = ?'),
      upsertParticipant: s(
        `INSERT INTO participants (session_id, id, joined_at, record) VALUES (?, ?, ?, ?)
         ON CONFLICT (session_id, id) DO UPDATE SET joined_at = excluded.joined_at, record = excluded.record`,
      ),
      getParticipant: s(`SELECT record FROM participants WHERE session_id = ? AND id = ? AND ${alive}`),
      listParticipants: s(`SELECT record FROM participants WHERE session_id = ? AND ${alive} ORDER BY joined_at, rowid`),
      countParticipants: s(`SELECT count(*) AS n FROM participants WHERE session_id = ? AND ${alive}`),
      setParticipant: s('UPDATE participants SET record = ? WHERE session_id = ? AND id = ?'),
      removeParticipant: s('DELETE FROM participants WHERE session_id = ? AND id = ?'),
      appendChat: s('INSERT INTO chat (session_id, message) VALUES (?, ?)'),
      trimChat: s(
        `DELETE FROM chat WHERE session_id = ? AND seq <= (
           SELECT seq FROM chat WHERE session_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      ),
      recentChat: s(`SELECT message FROM chat WHERE session_id = ? AND ${alive} ORDER BY seq DESC LIMIT ?`),
      expired: s('SELECT id FROM sessions WHERE expires_at <= ?'),
    };
    this.sweep();
    this.sweeper = clock.setInterval(() => this.sweep(), SWEEP_MS);
  }

  async create(session: SessionRecord, host: ParticipantRecord, state: PlaybackState, ttlMs: number) {
    this.store.transaction(() => {
      this.purge(session.id);
      this.q.insertSession.run(session.id, JSON.stringify(session), JSON.stringify(state), this.clock.now() + ttlMs);
      this.q.upsertParticipant.run(session.id, host.id, host.joinedAt, JSON.stringify(host));
    });
  }

  async get(sessionId: string) {
    const row = this.row(sessionId);
    return row ? record(row) : null;
  }

  async addParticipant(
    sessionId: string,
    participant: ParticipantRecord,
    maxParticipants: number,
    ttlMs: number,
  ): Promise<AddParticipantResult> {
    return this.store.transaction(() => {
      if (!this.exists(sessionId)) return 'not_found';
      if (this.count(sessionId) >= maxParticipants) return 'full';
      this.q.upsertParticipant.run(sessionId, participant.id, participant.joinedAt, JSON.stringify(participant));
      this.touch(sessionId, ttlMs);
      return 'ok';
    });
  }

  async getParticipant(sessionId: string, participantId: string) {
    return this.participant(sessionId, participantId);
  }

  async listParticipants(sessionId: string) {
    const now = this.clock.now();
    return (this.q.listParticipants.all(sessionId, sessionId, now) as { record: string }[]).map(
      (r) => JSON.parse(r.record) as ParticipantRecord,
    );
  }

  async countParticipants(sessionId: string) {
    return this.count(sessionId);
  }

  async getState(sessionId: string) {
    const row = this.row(sessionId);
    return row ? (JSON.parse(row.state) as PlaybackState) : null;
  }

  async casState(
    sessionId: string,
    expectedRev: number,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult> {
    return this.store.transaction((): CasResult => {
      const row = this.row(sessionId);
      if (!row) return { ok: false, current: null };
      const current = JSON.parse(row.state) as PlaybackState;
      if (current.rev !== expectedRev) return { ok: false, current };
      this.q.setState.run(JSON.stringify(next), sessionId);
      if (sessionPatch) this.q.setRecord.run(merge(row.record, sessionPatch), sessionId);
      this.touch(sessionId, ttlMs);
      return { ok: true };
    });
  }

  async casStateShiftQueue(
    sessionId: string,
    expectedRev: number,
    headId: string,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult> {
    return this.store.transaction((): CasResult => {
      const row = this.row(sessionId);
      if (!row) return { ok: false, current: null };
      const current = JSON.parse(row.state) as PlaybackState;
      const session = record(row);
      if (current.rev !== expectedRev || session.queue[0]?.id !== headId) return { ok: false, current };
      this.q.setState.run(JSON.stringify(next), sessionId);
      this.q.setRecord.run(JSON.stringify({ ...session, ...sessionPatch, queue: session.queue.slice(1) }), sessionId);
      this.touch(sessionId, ttlMs);
      return { ok: true };
    });
  }

  async addQueueItem(sessionId: string, item: QueueItem, maxItems: number, ttlMs: number): Promise<AddQueueItemResult> {
    return this.store.transaction((): AddQueueItemResult => {
      const row = this.row(sessionId);
      if (!row) return 'not_found';
      const session = record(row);
      if (session.queue.length >= maxItems) return 'full';
      this.q.setRecord.run(JSON.stringify({ ...session, queue: [...session.queue, item] }), sessionId);
      this.touch(sessionId, ttlMs);
      return 'ok';
    });
  }

  async removeQueueItem(sessionId: string, itemId: string, ttlMs: number) {
    return this.store.transaction((): QueueItem | null => {
      const row = this.row(sessionId);
      if (!row) return null;
      const session = record(row);
      const item = session.queue.find((i) => i.id === itemId);
      if (!item) return null;
      this.q.setRecord.run(JSON.stringify({ ...session, queue: session.queue.filter((i) => i !== item) }), sessionId);
      this.touch(sessionId, ttlMs);
      return item;
    });
  }

  async moveQueueItem(sessionId: string, itemId: string, index: number, ttlMs: number) {
    return this.store.transaction(() => {
      const row = this.row(sessionId);
      if (!row) return false;
      const session = record(row);
      const item = session.queue.find((i) => i.id === itemId);
      if (!item) return false;
      const queue = session.queue.filter((i) => i !== item);
      queue.splice(Math.min(index, queue.length), 0, item);
      this.q.setRecord.run(JSON.stringify({ ...session, queue }), sessionId);
      this.touch(sessionId, ttlMs);
      return true;
    });
  }

  async banDevice(sessionId: string, deviceId: string, maxBans: number, ttlMs: number) {
    return this.store.transaction((): BanResult => {
      if (!this.exists(sessionId)) return 'not_found';
      const banned = this.q.isBanned.get(sessionId, deviceId, sessionId, this.clock.now()) !== undefined;
      if (!banned && (this.q.countBans.get(sessionId) as { n: number }).n >= maxBans) return 'full';
      this.q.insertBan.run(sessionId, deviceId);
      this.touch(sessionId, ttlMs);
      return 'ok';
    });
  }

  async isDeviceBanned(sessionId: string, deviceId: string) {
    return this.q.isBanned.get(sessionId, deviceId, sessionId, this.clock.now()) !== undefined;
  }

  async updateSession(sessionId: string, patch: SessionPatch, ttlMs: number) {
    return this.store.transaction(() => {
      const row = this.row(sessionId);
      if (!row) return null;
      const next = merge(row.record, patch);
      this.q.setRecord.run(next, sessionId);
      this.touch(sessionId, ttlMs);
      return withSessionDefaults(JSON.parse(next) as SessionRecord);
    });
  }

  async updateParticipant(sessionId: string, participantId: string, patch: ParticipantPatch, ttlMs: number) {
    // A status report alone is not worth an fsync a second per client; a role change is.
    const reportOnly = Object.keys(patch).every((k) => REPORT_FIELDS.has(k));
    const write = () => {
      const row = this.q.getParticipant.get(sessionId, participantId, sessionId, this.clock.now()) as { record: string } | undefined;
      if (!row) return null;
      const next = merge(row.record, patch);
      this.q.setParticipant.run(next, sessionId, participantId);
      this.touch(sessionId, ttlMs);
      return JSON.parse(next) as ParticipantRecord;
    };
    return reportOnly ? this.store.relaxed(write) : this.store.transaction(write);
  }

  async transferHost(sessionId: string, fromId: string, toId: string, ttlMs: number) {
    return this.store.transaction(() => {
      if (fromId === toId) return false;
      const from = this.participant(sessionId, fromId);
      const to = this.participant(sessionId, toId);
      if (!from || !to || from.role !== 'host') return false;
      this.q.setParticipant.run(JSON.stringify({ ...from, role: 'controller' }), sessionId, fromId);
      this.q.setParticipant.run(JSON.stringify({ ...to, role: 'host' }), sessionId, toId);
      this.touch(sessionId, ttlMs);
      return true;
    });
  }

  async removeParticipant(sessionId: string, participantId: string, ttlMs: number) {
    return this.store.transaction(() => {
      if (!this.exists(sessionId)) return false;
      if (Number(this.q.removeParticipant.run(sessionId, participantId).changes) === 0) return false;
      this.touch(sessionId, ttlMs);
      return true;
    });
  }

  async appendChat(sessionId: string, message: ChatMessage, keep: number, ttlMs: number) {
    return this.store.transaction(() => {
      if (!this.exists(sessionId)) return false;
      this.q.appendChat.run(sessionId, JSON.stringify(message));
      this.q.trimChat.run(sessionId, sessionId, Math.max(0, keep));
      this.touch(sessionId, ttlMs);
      return true;
    });
  }

  async appendChatOnce(sessionId: string, message: ChatMessage, clientId: string, keep: number, onceMs: number, ttlMs: number) {
    return this.store.transaction((): ChatMessage | null => {
      if (!this.exists(sessionId)) return null;
      const now = this.clock.now();
      const first = this.q.getClientId.get(sessionId, message.participantId, clientId, now) as { message: string } | undefined;
      if (first) return JSON.parse(first.message) as ChatMessage;
      const json = JSON.stringify(message);
      this.q.putClientId.run(sessionId, message.participantId, clientId, json, now + onceMs);
      this.q.appendChat.run(sessionId, json);
      this.q.trimChat.run(sessionId, sessionId, Math.max(0, keep));
      this.touch(sessionId, ttlMs);
      return message;
    });
  }

  async appendActivity(sessionId: string, message: ChatMessage, mergeWithinMs: number, keep: number, ttlMs: number) {
    return this.store.transaction((): ChatMessage | null => {
      if (!this.exists(sessionId)) return null;
      const last = this.q.lastChat.get(sessionId) as { seq: number; message: string } | undefined;
      const lastMessage = last ? (JSON.parse(last.message) as ChatMessage) : null;
      if (last && lastMessage && mergesInto(lastMessage, message, mergeWithinMs)) {
        const merged = { ...message, id: lastMessage.id };
        this.q.setChat.run(JSON.stringify(merged), last.seq);
        this.touch(sessionId, ttlMs);
        return merged;
      }
      this.q.appendChat.run(sessionId, JSON.stringify(message));
      this.q.trimChat.run(sessionId, sessionId, Math.max(0, keep));
      this.touch(sessionId, ttlMs);
      return message;
    });
  }

  async recentChat(sessionId: string, limit: number) {
    // Like slice(-limit) and LRANGE -limit -1: a limit of 0 means everything.
    const rows = this.q.recentChat.all(sessionId, sessionId, this.clock.now(), limit > 0 ? limit : -1) as { message: string }[];
    return rows.reverse().map((r) => JSON.parse(r.message) as ChatMessage);
  }

  async addConnection(sessionId: string, connectionId: string, participantId: string, ttlMs: number) {
    if (!this.exists(sessionId)) return;
    let conns = this.connections.get(sessionId);
    if (!conns) this.connections.set(sessionId, (conns = new Map()));
    conns.set(connectionId, participantId);
    this.store.relaxed(() => this.touch(sessionId, ttlMs));
  }

  async removeConnection(sessionId: string, connectionId: string, ttlMs: number) {
    if (!this.exists(sessionId)) {
      this.connections.delete(sessionId);
      return;
    }
    const conns = this.connections.get(sessionId);
    conns?.delete(connectionId);
    if (conns?.size === 0) this.connections.delete(sessionId);
    this.store.relaxed(() => this.touch(sessionId, ttlMs));
  }

  async connectedParticipantIds(sessionId: string) {
    if (!this.exists(sessionId)) {
      this.connections.delete(sessionId);
      return new Set<string>();
    }
    return new Set(this.connections.get(sessionId)?.values() ?? []);
  }

  async refreshExpiry(sessionId: string, ttlMs: number) {
    this.store.relaxed(() => {
      if (this.exists(sessionId)) this.touch(sessionId, ttlMs);
    });
  }

  async close() {
    this.sweeper.cancel();
  }

  private row(sessionId: string): SessionRow | null {
    return (this.q.getSession.get(sessionId, this.clock.now()) as SessionRow | undefined) ?? null;
  }

  private exists(sessionId: string): boolean {
    return this.q.exists.get(sessionId, this.clock.now()) !== undefined;
  }

  private count(sessionId: string): number {
    return (this.q.countParticipants.get(sessionId, sessionId, this.clock.now()) as { n: number }).n;
  }

  private participant(sessionId: string, participantId: string): ParticipantRecord | null {
    const row = this.q.getParticipant.get(sessionId, participantId, sessionId, this.clock.now()) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ParticipantRecord) : null;
  }

  private touch(sessionId: string, ttlMs: number) {
    this.q.touch.run(this.clock.now() + ttlMs, sessionId);
  }

  /** A session and everything it owns. */
  private purge(sessionId: string) {
    this.q.deleteChat.run(sessionId);
    this.q.deleteBans.run(sessionId);
    this.q.deleteClientIds.run(sessionId);
    this.q.deleteParticipants.run(sessionId);
    this.q.deleteSession.run(sessionId);
    this.connections.delete(sessionId);
  }

  private sweep() {
    if (!this.store.isOpen) return;
    const ids = (this.q.expired.all(this.clock.now()) as { id: string }[]).map((r) => r.id);
    if (ids.length > 0) this.store.relaxed(() => ids.forEach((id) => this.purge(id)));
    this.store.relaxed(() => this.q.expiredClientIds.run(this.clock.now()));
  }
}

/** A stored record; one written before the queue existed gets its defaults. */
function record(row: SessionRow): SessionRecord {
  return withSessionDefaults(JSON.parse(row.record) as SessionRecord);
}

/** Shallow-merges a patch into a stored JSON record, as the other repositories do. */
function merge(json: string, patch: object): string {
  return JSON.stringify({ ...(JSON.parse(json) as object), ...(JSON.parse(JSON.stringify(patch)) as object) });
}
