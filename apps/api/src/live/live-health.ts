import { Injectable } from '@nestjs/common';
import type { LiveShow } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { LiveStorage } from './live-storage';
import type { LiveRecord } from './live.repository';

/** A show's health is read from its files at most this often per replica (every GET and list polls it). */
export const HEALTH_CACHE_MS = 1000;
/** Shows whose health is remembered at once; past it the oldest entry goes. */
export const HEALTH_CACHE_MAX_SHOWS = 1000;

type Health = NonNullable<LiveShow['health']>;

/** What the files said, and when: the age of the newest segment is worked out at each read. */
interface Reading {
  at: number;
  measured: { kbps: number; segmentSeconds: number; newestMs: number } | null;
}


/**
 * Stream health while live, from the segments being served: output bit rate (over the listed
 * segments), segment (= keyframe interval) length, how long ago the newest was written, and the
 * output frame rate (its publisher's heartbeat brings it, from the packager's fMP4 fragments).
 */
@Injectable()
export class LiveHealth {
  private readonly cache = new Map<string, Reading>();

  constructor(
    private readonly storage: LiveStorage,
    private readonly clock: Clock,
  ) {}

  /** Null before a segment is listed. */
  async of(r: LiveRecord): Promise<Health | null> {
    const now = this.clock.now();
    let reading = this.cache.get(r.id);
    if (!reading || now - reading.at >= HEALTH_CACHE_MS) {
      reading = { at: now, measured: await this.measure(r.id) };
      this.cache.delete(r.id);
      // "No segment yet" is not kept: the first one shows at the next poll (with hlsUrl).
      if (reading.measured) this.cache.set(r.id, reading);
      for (const [id, old] of this.cache) {
        if (this.cache.size <= HEALTH_CACHE_MAX_SHOWS && now - old.at < HEALTH_CACHE_MS) break;
        this.cache.delete(id);
      }
    }
    const m = reading.measured;
    if (!m) return null;
    return {
      kbps: m.kbps,
      segmentSeconds: m.segmentSeconds,
      // File times are wall-clock times; the Clock is the wall clock at runtime.
      lastSegmentAgeMs: Math.max(0, Math.round(this.clock.now() - m.newestMs)),
      fps: r.outputFps ?? null,
    };
  }

  private async measure(id: string): Promise<Reading['measured']> {
    const window = await this.storage.readWindow(id);
    const last = window.segments.at(-1);
    if (!last) return null;
    const duration = new Map(window.segments.map((s) => [s.seq, s.duration]));
    let bytes = 0;
    let seconds = 0;
    let newestMs = 0;
    for (const f of await this.storage.segmentFiles(id, window.segments.map((s) => s.seq))) {
      bytes += f.bytes;
      seconds += duration.get(f.seq) ?? 0;
      newestMs = Math.max(newestMs, f.mtimeMs);
    }
    if (seconds === 0) return null;
    return { kbps: Math.round((bytes * 8) / seconds / 1000), segmentSeconds: Math.round(last.duration * 1000) / 1000, newestMs };
  }
}
