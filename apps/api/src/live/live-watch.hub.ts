import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisService } from '../redis/redis.service';

/**
 * Sub-second live delivery (contract section 11): the fMP4 init segment and fragments of each
 * show, cached per replica as "the current GOP" (the fragments since the latest keyframe) so a
 * joining viewer starts at a keyframe at once, and relayed to every replica through Redis
 * pub/sub — no shared disk: a viewer on replica B watches a show published to replica A.
 * Without Redis (one process) the relay is a loopback.
 */

/** A cached GOP longer than this is cut back to its latest keyframe... or dropped whole. */
export const GOP_CACHE_MAX_BYTES = 8 * 1024 * 1024;
/** Redis channel carrying every show's init segments, fragments and ends. */
export const LIVE_WATCH_CHANNEL = 'wp:live:watch';
/** Messages larger than this are not relayed (a fragment is <= MAX_BOX_BYTES x 2). */
const MAX_MESSAGE_BYTES = 20 * 1024 * 1024;

export type WatchEvent =
  | { kind: 'init'; showId: string; codecs: string; data: Buffer }
  | { kind: 'fragment'; showId: string; seq: number; keyframe: boolean; wallclock: number; data: Buffer }
  | { kind: 'end'; showId: string };

export interface WatchState {
  init: { codecs: string; data: Buffer } | null;
  /** The fragments since (and including) the latest keyframe. */
  gop: Extract<WatchEvent, { kind: 'fragment' }>[];
  gopBytes: number;
}

type Listener = (event: WatchEvent) => void;

/** [kind 1 byte][header length 4 bytes][header JSON][data]: binary-safe and cheap to parse. */
export function encodeWatchEvent(e: WatchEvent): Buffer {
  const { data, ...header } = e as WatchEvent & { data?: Buffer };
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(5);
  head[0] = 1;
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json, data ?? Buffer.alloc(0)]);
}

/** The inverse of encodeWatchEvent; null for anything malformed (never throws). */
export function decodeWatchEvent(buf: Buffer): WatchEvent | null {
  if (buf.length < 5 || buf[0] !== 1 || buf.length > MAX_MESSAGE_BYTES) return null;
  const len = buf.readUInt32BE(1);
  if (5 + len > buf.length) return null;
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 5, 5 + len));
  } catch {
    return null;
  }
  const h = header as Record<string, unknown>;
  if (typeof h !== 'object' || h === null || typeof h['showId'] !== 'string') return null;
  const data = buf.subarray(5 + len);
  const showId = h['showId'];
  switch (h['kind']) {
    case 'init':
      return typeof h['codecs'] === 'string' ? { kind: 'init', showId, codecs: h['codecs'], data } : null;
    case 'fragment':
      return typeof h['seq'] === 'number' && typeof h['keyframe'] === 'boolean' && typeof h['wallclock'] === 'number'
        ? { kind: 'fragment', showId, seq: h['seq'], keyframe: h['keyframe'], wallclock: h['wallclock'], data }
        : null;
    case 'end':
      return { kind: 'end', showId };
    default:
      return null;
  }
}

@Injectable()
export class LiveWatchHub implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LiveWatch');
  private readonly shows = new Map<string, WatchState>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly seqs = new Map<string, number>();
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;

  constructor(private readonly redis: RedisService) {}

  async onModuleInit() {
    if (!this.redis.client) return;
    this.publisher = this.redis.client;
    this.subscriber = this.redis.connect('live-watch');
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      const event = decodeWatchEvent(message);
      if (event) this.apply(event);
    });
    await this.subscriber.subscribe(LIVE_WATCH_CHANNEL);
  }

  onModuleDestroy() {
    this.listeners.clear();
    this.shows.clear();
  }

  /** The publishing replica: a new init segment (a run starts). */
  publishInit(showId: string, codecs: string, data: Buffer) {
    this.send({ kind: 'init', showId, codecs, data });
  }

  /** The publishing replica: the next fragment of the show. */
  publishFragment(showId: string, data: Buffer, keyframe: boolean, wallclock: number) {
    const seq = (this.seqs.get(showId) ?? 0) + 1;
    this.seqs.set(showId, seq);
    this.send({ kind: 'fragment', showId, seq, keyframe, wallclock, data });
  }

  /** The show ended (any replica). */
  publishEnd(showId: string) {
    this.seqs.delete(showId);
    this.send({ kind: 'end', showId });
  }

  /** What a joining viewer needs now: the init and the fragments since the latest keyframe. */
  state(showId: string): WatchState | null {
    return this.shows.get(showId) ?? null;
  }

  /** Live events of a show on this replica; returns the unsubscribe. */
  subscribe(showId: string, listener: Listener): () => void {
    let set = this.listeners.get(showId);
    if (!set) this.listeners.set(showId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(showId);
    };
  }

  private send(event: WatchEvent) {
    if (this.publisher) {
      // Every replica, this one included, applies it when it comes back from Redis: one path.
      this.publisher.publish(LIVE_WATCH_CHANNEL, encodeWatchEvent(event)).catch((err: Error) => {
        this.logger.warn(`relay failed: ${err.message}`);
      });
    } else {
      this.apply(event);
    }
  }

  private apply(event: WatchEvent) {
    const id = event.showId;
    switch (event.kind) {
      case 'init':
        this.shows.set(id, { init: { codecs: event.codecs, data: event.data }, gop: [], gopBytes: 0 });
        break;
      case 'fragment': {
        const s = this.shows.get(id);
        if (!s) return; // no init yet on this replica: nothing a viewer could start from
        if (event.keyframe) {
          s.gop = [];
          s.gopBytes = 0;
        }
        if (s.gop.length > 0 || event.keyframe) {
          s.gop.push(event);
          s.gopBytes += event.data.length;
          if (s.gopBytes > GOP_CACHE_MAX_BYTES) {
            s.gop = [];
            s.gopBytes = 0;
          }
        }
        break;
      }
      case 'end':
        this.shows.delete(id);
        break;
    }
    for (const listener of this.listeners.get(id) ?? []) listener(event);
  }
}
