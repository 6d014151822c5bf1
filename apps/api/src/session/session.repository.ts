import type { BeforeApplicationShutdown } from '@nestjs/common';
import type {
  ChatMessage,
  ControlPolicy,
  ParticipantStatus,
  PlaybackState,
  Role,
  Source,
} from '@watch-party/contracts';

/** A session as stored; the public `SessionInfo` is derived from it. */
export interface SessionRecord {
  id: string;
  name: string;
  /** scrypt hash, never the password */
  passwordHash: string | null;
  createdAt: string;
  controlPolicy: ControlPolicy;
  waitForBuffering: boolean;
  source: Source | null;
  /** Set while the group is paused for someone's buffering (waitForBuffering). */
  bufferingHold: BufferingHold | null;
}

export interface BufferingHold {
  /** server ms when the pause began */
  since: number;
  /** the state rev of that pause: a later change by anyone cancels the hold */
  rev: number;
}

export type SessionPatch = Partial<Pick<SessionRecord, 'controlPolicy' | 'waitForBuffering' | 'source' | 'bufferingHold'>>;
export type ParticipantPatch = Partial<Pick<ParticipantRecord, 'role' | 'status' | 'driftMs'>>;
export type CasResult = { ok: true } | { ok: false; current: PlaybackState | null };

export interface ParticipantRecord {
  id: string;
  name: string;
  role: Role;
  /** epoch ms of the join; orders host migration */
  joinedAt: number;
  status: ParticipantStatus;
  driftMs: number | null;
}

export type AddParticipantResult = 'ok' | 'full' | 'not_found';

/**
 * Storage of sessions, participants, playback state and presence. Three implementations
 * (SQLite, the single-process default; Redis; in-memory, the fake of unit tests) pass one
 * shared contract suite (session.repository.contract.ts).
 * Every write refreshes the session's expiry to `ttlMs` from now.
 */
export abstract class SessionRepository implements BeforeApplicationShutdown {
  abstract create(
    session: SessionRecord,
    host: ParticipantRecord,
    state: PlaybackState,
    ttlMs: number,
  ): Promise<void>;
  abstract get(sessionId: string): Promise<SessionRecord | null>;
  abstract addParticipant(
    sessionId: string,
    participant: ParticipantRecord,
    maxParticipants: number,
    ttlMs: number,
  ): Promise<AddParticipantResult>;
  abstract getParticipant(sessionId: string, participantId: string): Promise<ParticipantRecord | null>;
  /** Oldest first. */
  abstract listParticipants(sessionId: string): Promise<ParticipantRecord[]>;
  abstract countParticipants(sessionId: string): Promise<number>;
  abstract getState(sessionId: string): Promise<PlaybackState | null>;
  /**
   * Atomically replace the state if its rev is still `expectedRev`, and apply `sessionPatch`
   * in the same step; otherwise report the current state so the caller can retry.
   */
  abstract casState(
    sessionId: string,
    expectedRev: number,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult>;
  /** Merge `patch` into the session; null when it does not exist. */
  abstract updateSession(sessionId: string, patch: SessionPatch, ttlMs: number): Promise<SessionRecord | null>;
  /** Merge `patch` into a participant; null when either does not exist. */
  abstract updateParticipant(
    sessionId: string,
    participantId: string,
    patch: ParticipantPatch,
    ttlMs: number,
  ): Promise<ParticipantRecord | null>;
  /** Atomically: if `fromId` is host, it becomes controller and `toId` host. */
  abstract transferHost(sessionId: string, fromId: string, toId: string, ttlMs: number): Promise<boolean>;
  /** Forget a participant (kick): its token no longer opens a socket. */
  abstract removeParticipant(sessionId: string, participantId: string, ttlMs: number): Promise<boolean>;

  /** Append and keep only the newest `keep` messages. */
  abstract appendChat(sessionId: string, message: ChatMessage, keep: number, ttlMs: number): Promise<boolean>;
  /** Oldest first. */
  abstract recentChat(sessionId: string, limit: number): Promise<ChatMessage[]>;

  /** Presence: one entry per socket, on whichever replica holds it. */
  abstract addConnection(sessionId: string, connectionId: string, participantId: string, ttlMs: number): Promise<void>;
  abstract removeConnection(sessionId: string, connectionId: string, ttlMs: number): Promise<void>;
  /** Participants with at least one live socket (sockets of dead replicas do not count). */
  abstract connectedParticipantIds(sessionId: string): Promise<Set<string>>;
  /** Push the expiry of a session (and all it owns) to `ttlMs` from now. */
  abstract refreshExpiry(sessionId: string, ttlMs: number): Promise<void>;
  /** Release timers and connections. */
  abstract close(): Promise<void>;

  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
