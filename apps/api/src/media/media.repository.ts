import type { MediaStatus, Rendition } from '@watch-party/contracts';
import type { ProbeResult } from './transcoder';

/** A media item as stored; URLs are derived when it leaves the API. */
export interface MediaRecord {
  id: string;
  title: string;
  status: MediaStatus;
  progress: number;
  durationSec: number | null;
  error?: string;
  renditions: Rendition[];
  /** file name of the original inside the item's folder */
  originalName: string;
  contentType: string;
  sizeBytes: number;
  /** at least one rendition has a segment: the master playlist may be served */
  hlsPlayable: boolean;
  hasPoster: boolean;
  createdAt: string;
  /** what ffprobe found; null when uploaded without ffmpeg on the machine */
  source: ProbeResult | null;
  /** sha256 (hex) of the owner key given once at upload; absent: only the admin manages it */
  ownerKeyHash?: string;
  /** bytes of the item's folder (original, poster, renditions), measured when its job ended */
  diskBytes?: number;
  /** WebVTT tracks, oldest first; absent in records from before subtitles */
  subtitles?: SubtitleRecord[];
}

/** A subtitle track as stored: its file is `<id>/subtitles/<track id>.vtt`. */
export interface SubtitleRecord {
  id: string;
  label: string;
  lang: string | null;
  /** the stream of the uploaded file it was extracted from; absent for an uploaded track */
  stream?: number;
  /** size of its WebVTT file */
  bytes: number;
}

export type MediaPatch = Partial<Omit<MediaRecord, 'id' | 'createdAt' | 'originalName'>>;

/** Media metadata store: in memory for one process, Redis for replicas. */
export abstract class MediaRepository {
  abstract insert(record: MediaRecord): Promise<void>;
  abstract get(id: string): Promise<MediaRecord | null>;
  /** Newest first. */
  abstract list(): Promise<MediaRecord[]>;
  /** Merge a patch; null when the item is gone (deleted meanwhile). */
  abstract update(id: string, patch: MediaPatch): Promise<MediaRecord | null>;
  abstract delete(id: string): Promise<boolean>;
}

export class MemoryMediaRepository extends MediaRepository {
  private readonly items = new Map<string, MediaRecord>();

  async insert(record: MediaRecord) {
    this.items.set(record.id, structuredClone(record));
  }

  async get(id: string) {
    const r = this.items.get(id);
    return r ? structuredClone(r) : null;
  }

  async list() {
    return [...this.items.values()]
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((r) => structuredClone(r));
  }

  async update(id: string, patch: MediaPatch) {
    const r = this.items.get(id);
    if (!r) return null;
    Object.assign(r, structuredClone(patch));
    return structuredClone(r);
  }

  async delete(id: string) {
    return this.items.delete(id);
  }
}
