import type { LiveStatus } from '@watch-party/contracts';
import type { Clock } from '../common/clock';

/** Where segment numbers start for one packager run, and how far its PDTs are off. */
export interface PdtFix {
  fromSeq: number;
  offsetMs: number;
}

/** A live show as stored; the public `LiveShow` is derived from it. */
export interface LiveRecord {
  id: string;
  title: string;
  creatorName: string;
  status: LiveStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  sessionId: string;
  creatorParticipantId: string;
  /** sha256 of the stream key (hex); the key itself is never stored */
  keyHash: string;
  /** the live playlist lists a segment of the current run */
  hlsReady: boolean;
  /** packager runs so far (a publisher reconnecting starts a new one) */
  runs: number;
  /** epoch ms the publisher was last seen; the show ends once it is older than the grace */
  lastPublisherAt: number | null;
  pdt: PdtFix[];
  recordingMediaId?: string;
  /** frames per second of the output video, as its publisher's last heartbeat measured; null without video */
  outputFps?: number | null;
}

export type LivePatch = Partial<Omit<LiveRecord, 'id' | 'createdAt' | 'keyHash' | 'sessionId' | 'creatorParticipantId'>>;

/** Live show store: in memory for one process, Redis for replicas. */
export abstract class LiveRepository {
  abstract insert(record: LiveRecord): Promise<void>;
  abstract get(id: string): Promise<LiveRecord | null>;
  abstract idForKeyHash(keyHash: string): Promise<string | null>;
  /** Newest first. */
  abstract list(): Promise<LiveRecord[]>;
  /** Merge a patch if the show's status is one of `from` (any when omitted); null otherwise. */
  abstract update(id: string, patch: LivePatch, from?: LiveStatus[]): Promise<LiveRecord | null>;
  /** One publisher per show at a time, across replicas: a lock that expires unless refreshed. */
  abstract claimPublisher(id: string, owner: string, ttlMs: number): Promise<boolean>;
  abstract refreshPublisher(id: string, owner: string, ttlMs: number): Promise<boolean>;
  abstract releasePublisher(id: string, owner: string): Promise<void>;
  abstract publisherHeld(id: string): Promise<boolean>;

  // ---- HLS viewers (clients polling the live playlist), shared by every replica ----
  // In process memory by default (one process); the Redis store overrides both.
  private readonly hlsViewers = new Map<string, Map<string, number>>();

  /** `viewer` (an opaque client key) fetched the show's playlist at `nowMs`. */
  async markHlsViewer(id: string, viewer: string, nowMs: number, windowMs: number): Promise<void> {
    let seen = this.hlsViewers.get(id);
    if (!seen) this.hlsViewers.set(id, (seen = new Map()));
    seen.delete(viewer); // re-insert: the map stays ordered by last fetch
    seen.set(viewer, nowMs);
    for (const [key, at] of seen) {
      if (at > nowMs - windowMs && seen.size <= MAX_TRACKED_HLS_VIEWERS) break;
      seen.delete(key);
    }
  }

  /** Distinct viewers that fetched the playlist within the last `windowMs`. */
  async countHlsViewers(id: string, nowMs: number, windowMs: number): Promise<number> {
    const seen = this.hlsViewers.get(id);
    if (!seen) return 0;
    let n = 0;
    for (const at of seen.values()) if (at > nowMs - windowMs) n++;
    if (n === 0) this.hlsViewers.delete(id);
    return n;
  }
}

/** HLS viewers remembered per show in memory (each costs ~100 bytes); the oldest go first. */
export const MAX_TRACKED_HLS_VIEWERS = 20_000;

export class MemoryLiveRepository extends LiveRepository {
  private readonly shows = new Map<string, LiveRecord>();
  private readonly keys = new Map<string, string>();
  private readonly locks = new Map<string, { owner: string; until: number }>();

  /** Lock expiry is read from `clock`, so unit tests expire a publisher by advancing time. */
  constructor(private readonly clock: Clock) {
    super();
  }

  async insert(record: LiveRecord) {
    this.shows.set(record.id, structuredClone(record));
    this.keys.set(record.keyHash, record.id);
  }

  async get(id: string) {
    const r = this.shows.get(id);
    return r ? structuredClone(r) : null;
  }

  async idForKeyHash(keyHash: string) {
    return this.keys.get(keyHash) ?? null;
  }

  async list() {
    return [...this.shows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((r) => structuredClone(r));
  }

  async update(id: string, patch: LivePatch, from?: LiveStatus[]) {
    const r = this.shows.get(id);
    if (!r || (from && !from.includes(r.status))) return null;
    Object.assign(r, structuredClone(patch));
    return structuredClone(r);
  }

  async claimPublisher(id: string, owner: string, ttlMs: number) {
    const lock = this.locks.get(id);
    const now = this.clock.now();
    if (lock && lock.until > now && lock.owner !== owner) return false;
    this.locks.set(id, { owner, until: now + ttlMs });
    return true;
  }

  async refreshPublisher(id: string, owner: string, ttlMs: number) {
    const lock = this.locks.get(id);
    const now = this.clock.now();
    if (!lock || lock.owner !== owner || lock.until <= now) return false;
    lock.until = now + ttlMs;
    return true;
  }

  async releasePublisher(id: string, owner: string) {
    if (this.locks.get(id)?.owner === owner) this.locks.delete(id);
  }

  async publisherHeld(id: string) {
    const lock = this.locks.get(id);
    return !!lock && lock.until > this.clock.now();
  }
}
