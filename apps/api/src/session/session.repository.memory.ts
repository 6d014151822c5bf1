import type { ChatMessage, PlaybackState, QueueItem } from '@watch-party/contracts';
import type { Clock, Timer } from '../common/clock';
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

interface Entry {
  session: SessionRecord;
  participants: Map<string, ParticipantRecord>;
  state: PlaybackState;
  connections: Map<string, string>;
  chat: ChatMessage[];
  bans: Set<string>;
  /** `${participantId}/${clientId}` -> the message it produced, until `until` */
  clientIds: Map<string, { message: ChatMessage; until: number }>;
  expiresAt: number;
}

/** Expired sessions are dropped this often even if nobody reads them again. */
export const MEMORY_SWEEP_MS = 60_000;

/** Single-process storage (no REDIS_URL). Values are copied in and out, like a real store. */
export class MemorySessionRepository extends SessionRepository {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: Timer;

  constructor(private readonly clock: Clock) {
    super();
    this.sweeper = clock.setInterval(() => this.sweep(), MEMORY_SWEEP_MS);
  }

  async create(session: SessionRecord, host: ParticipantRecord, state: PlaybackState, ttlMs: number) {
    this.entries.set(session.id, {
      session: structuredClone(withSessionDefaults(session)),
      participants: new Map([[host.id, structuredClone(host)]]),
      state: structuredClone(state),
      connections: new Map(),
      chat: [],
      bans: new Set(),
      clientIds: new Map(),
      expiresAt: this.clock.now() + ttlMs,
    });
  }

  async get(sessionId: string) {
    const entry = this.live(sessionId);
    return entry ? structuredClone(entry.session) : null;
  }

  async addParticipant(
    sessionId: string,
    participant: ParticipantRecord,
    maxParticipants: number,
    ttlMs: number,
  ): Promise<AddParticipantResult> {
    const entry = this.live(sessionId);
    if (!entry) return 'not_found';
    if (entry.participants.size >= maxParticipants) return 'full';
    entry.participants.set(participant.id, structuredClone(participant));
    this.touch(entry, ttlMs);
    return 'ok';
  }

  async getParticipant(sessionId: string, participantId: string) {
    const p = this.live(sessionId)?.participants.get(participantId);
    return p ? structuredClone(p) : null;
  }

  async listParticipants(sessionId: string) {
    const entry = this.live(sessionId);
    if (!entry) return [];
    return [...entry.participants.values()]
      .map((p) => structuredClone(p))
      .sort((a, b) => a.joinedAt - b.joinedAt);
  }

  async countParticipants(sessionId: string) {
    return this.live(sessionId)?.participants.size ?? 0;
  }

  async getState(sessionId: string) {
    const entry = this.live(sessionId);
    return entry ? structuredClone(entry.state) : null;
  }

  async casState(
    sessionId: string,
    expectedRev: number,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult> {
    const entry = this.live(sessionId);
    if (!entry) return { ok: false, current: null };
    if (entry.state.rev !== expectedRev) return { ok: false, current: structuredClone(entry.state) };
    entry.state = structuredClone(next);
    if (sessionPatch) Object.assign(entry.session, structuredClone(sessionPatch));
    this.touch(entry, ttlMs);
    return { ok: true };
  }

  async casStateShiftQueue(
    sessionId: string,
    expectedRev: number,
    headId: string,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult> {
    const entry = this.live(sessionId);
    if (!entry) return { ok: false, current: null };
    if (entry.state.rev !== expectedRev || entry.session.queue[0]?.id !== headId) {
      return { ok: false, current: structuredClone(entry.state) };
    }
    entry.session.queue.shift();
    entry.state = structuredClone(next);
    if (sessionPatch) Object.assign(entry.session, structuredClone(sessionPatch));
    this.touch(entry, ttlMs);
    return { ok: true };
  }

  async addQueueItem(sessionId: string, item: QueueItem, maxItems: number, ttlMs: number): Promise<AddQueueItemResult> {
    const entry = this.live(sessionId);
    if (!entry) return 'not_found';
    if (entry.session.queue.length >= maxItems) return 'full';
    entry.session.queue.push(structuredClone(item));
    this.touch(entry, ttlMs);
    return 'ok';
  }

  async removeQueueItem(sessionId: string, itemId: string, ttlMs: number) {
    const entry = this.live(sessionId);
    const index = entry?.session.queue.findIndex((i) => i.id === itemId) ?? -1;
    if (!entry || index < 0) return null;
    const [item] = entry.session.queue.splice(index, 1);
    this.touch(entry, ttlMs);
    return item;
  }

  async moveQueueItem(sessionId: string, itemId: string, index: number, ttlMs: number) {
    const entry = this.live(sessionId);
    const from = entry?.session.queue.findIndex((i) => i.id === itemId) ?? -1;
    if (!entry || from < 0) return false;
    const [item] = entry.session.queue.splice(from, 1);
    entry.session.queue.splice(Math.min(index, entry.session.queue.length), 0, item);
    this.touch(entry, ttlMs);
    return true;
  }

  async banDevice(sessionId: string, deviceId: string, maxBans: number, ttlMs: number): Promise<BanResult> {
    const entry = this.live(sessionId);
    if (!entry) return 'not_found';
    if (!entry.bans.has(deviceId) && entry.bans.size >= maxBans) return 'full';
    entry.bans.add(deviceId);
    this.touch(entry, ttlMs);
    return 'ok';
  }

  async isDeviceBanned(sessionId: string, deviceId: string) {
    return this.live(sessionId)?.bans.has(deviceId) ?? false;
  }

  async updateSession(sessionId: string, patch: SessionPatch, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry) return null;
    Object.assign(entry.session, structuredClone(patch));
    this.touch(entry, ttlMs);
    return structuredClone(entry.session);
  }

  async updateParticipant(sessionId: string, participantId: string, patch: ParticipantPatch, ttlMs: number) {
    const entry = this.live(sessionId);
    const p = entry?.participants.get(participantId);
    if (!entry || !p) return null;
    Object.assign(p, patch);
    this.touch(entry, ttlMs);
    return structuredClone(p);
  }

  async transferHost(sessionId: string, fromId: string, toId: string, ttlMs: number) {
    const entry = this.live(sessionId);
    const from = entry?.participants.get(fromId);
    const to = entry?.participants.get(toId);
    if (!entry || !from || !to || from.role !== 'host' || fromId === toId) return false;
    from.role = 'controller';
    to.role = 'host';
    this.touch(entry, ttlMs);
    return true;
  }

  async removeParticipant(sessionId: string, participantId: string, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry || !entry.participants.delete(participantId)) return false;
    this.touch(entry, ttlMs);
    return true;
  }

  async appendChat(sessionId: string, message: ChatMessage, keep: number, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry) return false;
    entry.chat.push(structuredClone(message));
    if (entry.chat.length > keep) entry.chat.splice(0, entry.chat.length - keep);
    this.touch(entry, ttlMs);
    return true;
  }

  async appendChatOnce(sessionId: string, message: ChatMessage, clientId: string, keep: number, onceMs: number, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry) return null;
    const key = `${message.participantId}/${clientId}`;
    const now = this.clock.now();
    const first = entry.clientIds.get(key);
    if (first && first.until > now) return structuredClone(first.message);
    entry.clientIds.set(key, { message: structuredClone(message), until: now + onceMs });
    await this.appendChat(sessionId, message, keep, ttlMs);
    return structuredClone(message);
  }

  async appendActivity(sessionId: string, message: ChatMessage, mergeWithinMs: number, keep: number, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry) return null;
    const last = entry.chat.at(-1);
    if (last && mergesInto(last, message, mergeWithinMs)) {
      const merged = { ...structuredClone(message), id: last.id };
      entry.chat[entry.chat.length - 1] = merged;
      this.touch(entry, ttlMs);
      return structuredClone(merged);
    }
    await this.appendChat(sessionId, message, keep, ttlMs);
    return structuredClone(message);
  }

  async recentChat(sessionId: string, limit: number) {
    return structuredClone(this.live(sessionId)?.chat.slice(-limit) ?? []);
  }

  async addConnection(sessionId: string, connectionId: string, participantId: string, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry) return;
    entry.connections.set(connectionId, participantId);
    this.touch(entry, ttlMs);
  }

  async removeConnection(sessionId: string, connectionId: string, ttlMs: number) {
    const entry = this.live(sessionId);
    if (!entry) return;
    entry.connections.delete(connectionId);
    this.touch(entry, ttlMs);
  }

  async connectedParticipantIds(sessionId: string) {
    return new Set(this.live(sessionId)?.connections.values() ?? []);
  }

  async refreshExpiry(sessionId: string, ttlMs: number) {
    const entry = this.live(sessionId);
    if (entry) this.touch(entry, ttlMs);
  }

  async close() {
    this.sweeper.cancel();
  }

  private touch(entry: Entry, ttlMs: number) {
    entry.expiresAt = this.clock.now() + ttlMs;
  }

  private live(sessionId: string): Entry | undefined {
    const entry = this.entries.get(sessionId);
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  private sweep() {
    const now = this.clock.now();
    for (const id of this.entries.keys()) {
      const entry = this.live(id);
      for (const [key, { until }] of entry?.clientIds ?? []) if (until <= now) entry?.clientIds.delete(key);
    }
  }
}
