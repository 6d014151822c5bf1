import type { BeforeApplicationShutdown } from '@nestjs/common';
import type {
  ChatMessage,
  ControlPolicy,
  ParticipantStatus,
  PlaybackState,
  QueueItem,
  QueuePolicy,
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
  /** What plays next, first item first; changed only through the queue operations. */
  queue: QueueItem[];
  queuePolicy: QueuePolicy;
  /** A locked party refuses new joins. */
  locked: boolean;
}

/** Whether system message `next` is a quick repeat of `last` (same event, same author) to merge into it. */
export function mergesInto(last: ChatMessage, next: ChatMessage, withinMs: number): boolean {
  return (
    last.kind === 'system' &&
    next.kind === 'system' &&
    last.system?.event === next.system?.event &&
    last.system?.by === next.system?.by &&
    next.at - last.at <= withinMs
  );
}

/** The fields a record stored before the queue existed lacks, at their defaults. */
export function withSessionDefaults(record: Omit<SessionRecord, 'queue' | 'queuePolicy' | 'locked'> & Partial<SessionRecord>): SessionRecord {
  return { ...record, queue: record.queue ?? [], queuePolicy: record.queuePolicy ?? 'everyone', locked: record.locked ?? false };
}

export interface BufferingHold {
  /** server ms when the pause began */
  since: number;
  /** the state rev of that pause: a later change by anyone cancels the hold */
  rev: number;
}

export type SessionPatch = Partial<
  Pick<SessionRecord, 'controlPolicy' | 'waitForBuffering' | 'source' | 'bufferingHold' | 'queuePolicy' | 'locked'>
>;
export type ParticipantPatch = Partial<Pick<ParticipantRecord, 'role' | 'status' | 'driftMs' | 'error'>>;
export type AddQueueItemResult = 'ok' | 'full' | 'not_found';
export type BanResult = 'ok' | 'full' | 'not_found';
export type CasResult = { ok: true } | { ok: false; current: PlaybackState | null };

export interface ParticipantRecord {
  id: string;
  name: string;
  role: Role;
  /** epoch ms of the join; orders host migration */
  joinedAt: number;
  status: ParticipantStatus;
  driftMs: number | null;
  /** the reason given with status "error" */
  error?: string | null;
  /** the device id sent with the join, if any: what a ban refuses */
  deviceId?: string | null;
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
  /**
   * Like casState, and the queue's first item (which must be `headId`) leaves the queue in
   * the same step: whoever moves the queue on, on whichever replica, does it once. When the
   * head is another item the state is left alone and reported as current, rev unchanged.
   */
  abstract casStateShiftQueue(
    sessionId: string,
    expectedRev: number,
    headId: string,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult>;
  /** Append to the queue unless it already holds `maxItems`. */
  abstract addQueueItem(sessionId: string, item: QueueItem, maxItems: number, ttlMs: number): Promise<AddQueueItemResult>;
  /** Take an item out of the queue; null when it is not there. */
  abstract removeQueueItem(sessionId: string, itemId: string, ttlMs: number): Promise<QueueItem | null>;
  /** Move an item to `index` (past the end: last); false when it is not there. */
  abstract moveQueueItem(sessionId: string, itemId: string, index: number, ttlMs: number): Promise<boolean>;
  /** Refuse later joins from `deviceId` (a set: banning twice is one entry), up to `maxBans`. */
  abstract banDevice(sessionId: string, deviceId: string, maxBans: number, ttlMs: number): Promise<BanResult>;
  abstract isDeviceBanned(sessionId: string, deviceId: string): Promise<boolean>;
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
  /**
   * Like appendChat, once per `clientId` of the message's sender within `onceMs`: returns the
   * message that stands for that clientId (`message` itself when it was stored now, the first
   * one otherwise), or null when the session does not exist.
   */
  abstract appendChatOnce(
    sessionId: string,
    message: ChatMessage,
    clientId: string,
    keep: number,
    onceMs: number,
    ttlMs: number,
  ): Promise<ChatMessage | null>;
  /**
   * Appends a system message; when the newest message of the history is a system message of
   * the same event and author at most `mergeWithinMs` older, replaces it instead, keeping its
   * id. Returns what is stored, or null when the session does not exist.
   */
  abstract appendActivity(
    sessionId: string,
    message: ChatMessage,
    mergeWithinMs: number,
    keep: number,
    ttlMs: number,
  ): Promise<ChatMessage | null>;
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
