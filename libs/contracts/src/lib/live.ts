import * as z from 'zod';
import { displayName } from './rest';

/** Live shows: REST bodies and replies, and the browser ingest events. */
export const liveStatusSchema = z.enum(['scheduled', 'live', 'ended']);
export type LiveStatus = z.infer<typeof liveStatusSchema>;

export const createLiveBodySchema = z.strictObject({
  title: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(120, { error: 'must be at most 120 characters' }),
  creatorName: displayName,
});
export type CreateLiveBody = z.infer<typeof createLiveBodySchema>;

/** added to the contract: `POST /api/live/:id/end`, the creator ends the show with its key */
/** The creator ends a show with its stream key; the admin may send `{}` with the admin token. */
export const endLiveBodySchema = z.strictObject({
  streamKey: z.string({ error: 'must be a string' }).min(1).max(256).optional(),
});
export type EndLiveBody = z.infer<typeof endLiveBodySchema>;

export const liveShowSchema = z.object({
  id: z.string(),
  title: z.string(),
  creatorName: z.string(),
  status: liveStatusSchema,
  startedAt: z.string().nullable(),
  /** viewers connected to the show's party right now (all replicas), the creator not counted */
  viewerCount: z.number().int(),
  /** the live playlist while on air and playable, else null */
  hlsUrl: z.string().nullable(),
  sessionId: z.string(),
  /** added to the contract: the library item made from the recording, once the show has ended */
  recordingMediaId: z.string().optional(),
  /** added to the contract */
  createdAt: z.string().optional(),
  /** added to the contract */
  endedAt: z.string().nullable().optional(),
  /**
   * added to the contract: a publisher is connected right now. False while a live show waits
   * for its publisher to come back (LIVE_PUBLISHER_GRACE_MS): the stream is interrupted.
   */
  publishing: z.boolean().optional(),
  /**
   * added to the contract: stream health while live, from the segments being served: output
   * bit rate (kbit/s over the listed segments), segment (= keyframe interval) length, and how
   * long ago the newest segment was written. `fps` (added to the contract): frames per second of
   * the output video over the last ~6 s, null for an audio-only stream or before it is known.
   */
  health: z
    .object({ kbps: z.number(), segmentSeconds: z.number(), lastSegmentAgeMs: z.number(), fps: z.number().nullable().optional() })
    .nullable()
    .optional(),
});
export type LiveShow = z.infer<typeof liveShowSchema>;

export const liveIngestSchema = z.object({
  /** OBS "Server" (`rtmp://HOST:PORT/live`); the stream key goes after it. Null when RTMP is disabled. */
  rtmpUrl: z.string().nullable(),
  /** Socket.IO namespace for browser publishing (`/live-ingest`, handshake `auth: { streamKey }`) */
  wsPath: z.string(),
});
export type LiveIngest = z.infer<typeof liveIngestSchema>;

export const createdLiveShowSchema = z.object({
  show: liveShowSchema,
  /** secret: whoever has it can publish; shown to the creator only, once */
  streamKey: z.string(),
  ingest: liveIngestSchema,
  /** added to the contract: the creator's identity (host) in the show's party */
  participantId: z.string(),
  token: z.string(),
});
export type CreatedLiveShow = z.infer<typeof createdLiveShowSchema>;

export const LIVE_INGEST_NAMESPACE = '/live-ingest';
export const LIVE_RTMP_APP = 'live';

/** `/live-ingest` client -> server. `chunk` is binary MediaRecorder data (at most 1 MiB). */
export interface LiveIngestClientEvents {
  chunk: (data: ArrayBuffer | Uint8Array, ack?: (result: { ok: boolean; error?: string }) => void) => void;
  /** Stop publishing and end the show now. */
  end: (ack?: (result: { ok: boolean }) => void) => void;
}

/** `/live-ingest` server -> client. */
export interface LiveIngestServerEvents {
  /** Publishing accepted: the show is live. */
  'ingest:ready': (payload: { showId: string }) => void;
  /** The server stopped this publisher (show ended, bitrate cap, packager failure); a disconnect follows. */
  'ingest:stopped': (payload: { reason: string }) => void;
}

/**
 * Socket.IO namespace of sub-second live watching: handshake `auth: { showId }`
 * (`preview: true` added by the creator's own preview, which is not counted as a viewer).
 */
export const LIVE_WATCH_NAMESPACE = '/live-watch';

/** `/live-watch` server -> client (no client events: the server pushes). */
export interface LiveWatchServerEvents {
  /** The fMP4 init segment and its RFC 6381 codecs; sent first, and again before a new run. */
  'live:init': (payload: { codecs: string; data: ArrayBuffer }) => void;
  /**
   * One moof+mdat (<= 500 ms). `keyframe`: it starts with a video sync sample (a viewer may
   * start here); `wallclock`: epoch ms around which its first input byte arrived.
   */
  'live:fragment': (payload: { seq: number; data: ArrayBuffer; keyframe: boolean; wallclock: number }) => void;
  /** The show ended. */
  'live:end': (payload: Record<string, never>) => void;
}

/** Limits of live watching over WebSocket. */
export const LIVE_WATCH_LIMITS = {
  /** never more than this queued for one viewer socket: a slow viewer skips to the next keyframe */
  maxQueuedBytes: 2 * 1024 * 1024,
} as const;

/** Limits of live ingest. */
export const LIVE_LIMITS = {
  /** the ingest bitrate cap (`LIVE_MAX_KBPS`, server config) is averaged over this window */
  bitrateWindowMs: 5000,
  /** the publisher may be gone this long before the show ends */
  publisherGraceMs: 15_000,
} as const;
