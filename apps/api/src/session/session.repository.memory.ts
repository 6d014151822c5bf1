import type { ChatMessage, PlaybackState } from '@watch-party/contracts';
import type { Clock, Timer } from '../common/clock';
import {
  type AddParticipantResult,
  type CasResult,
  type ParticipantPatch,
  type ParticipantRecord,
  SessionRepository,
  type SessionPatch,
  type SessionRecord,
} from './session.repository';

interface Entry {
  session: SessionRecord;
  participants: Map<string, ParticipantRecord>;
  state: PlaybackState;
  connections: Map<string, string>;
  chat: ChatMessage[];
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
      session: structuredClone(session),
      participants: new Map([[host.id, structuredClone(host)]]),
      state: structuredClone(state),
      connections: new Map(),
      chat: [],
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
    for (const id of this.entries.keys()) this.live(id);
  }
}
