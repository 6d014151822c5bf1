import { Injectable } from '@nestjs/common';
import { ID_PATTERN } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { LiveEncoder } from './live-encoder';
import { LiveStorage } from './live-storage';
import { LiveRepository } from './live.repository';

/** A live show's card picture is grabbed again when older than this. */
export const THUMBNAIL_MAX_AGE_MS = 10_000;

/**
 * The live list's card pictures: the first frame of a show's newest segment, grabbed at most
 * every THUMBNAIL_MAX_AGE_MS, one ffmpeg at a time per show; none unless live with video.
 */
@Injectable()
export class LiveThumbnails {
  /** Grabs in flight, per show. */
  private readonly jobs = new Map<string, Promise<boolean>>();
  /** When each show's picture was last grabbed on this replica (forgotten with the show's files). */
  private readonly grabbedAt = new Map<string, number>();

  constructor(
    private readonly repo: LiveRepository,
    private readonly storage: LiveStorage,
    private readonly encoder: LiveEncoder,
    private readonly clock: Clock,
  ) {}

  /** The picture's path, or null (not live, no segment yet, no video). */
  async thumbnail(id: string): Promise<string | null> {
    if (!ID_PATTERN.test(id)) return null;
    const r = await this.repo.get(id);
    if (!r || r.status !== 'live') return null;
    const out = this.storage.thumbnailPath(id);
    const at = this.grabbedAt.get(id);
    if (at !== undefined && this.clock.now() - at < THUMBNAIL_MAX_AGE_MS && (await this.storage.info(out))) return out;
    let pending = this.jobs.get(id);
    if (!pending) {
      pending = this.grab(id, out).finally(() => this.jobs.delete(id));
      this.jobs.set(id, pending);
    }
    return (await pending) ? out : null;
  }

  /** The show's files are gone. */
  forget(id: string): void {
    this.grabbedAt.delete(id);
  }

  private async grab(id: string, out: string): Promise<boolean> {
    const newest = (await this.storage.readWindow(id)).segments.at(-1);
    if (!newest) return false;
    const ok = await this.encoder.grabThumbnail(this.storage.segmentPath(id, newest.seq), out).catch(() => false);
    if (ok) this.grabbedAt.set(id, this.clock.now());
    return ok;
  }
}
