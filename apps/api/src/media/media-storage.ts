import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ID_PATTERN, type Rendition } from '@watch-party/contracts';
import { type Clock, SystemClock, type Timer } from '../common/clock';
import {
  describedVariant,
  type MasterVariant,
  measureBandwidth,
  parseMasterPlaylist,
  parseMediaPlaylist,
  renderMasterPlaylist,
  type StreamInf,
  withAudioCodec,
  withAudioRates,
} from './hls-master';
import { AUDIO_CHANNELS, AUDIO_CODECS, AUDIO_GROUP, FFMPEG_MASTERS, type HlsLayout, SEGMENT_SECONDS } from './ladder';

/**
 * With a MEDIA_DIR shared by replicas, a `.part` untouched this long belongs to no upload
 * (a live one is written to, or dropped after the upload idle timeout, long before).
 */
export const STALE_INCOMING_MS = 10 * 60_000;
/** How often a replica sharing MEDIA_DIR looks for such leftovers. */
export const INCOMING_SWEEP_EVERY_MS = 5 * 60_000;

export interface MediaStorageOptions {
  /** Other replicas write to the same MEDIA_DIR (REDIS_URL set). */
  shared: boolean;
  staleIncomingMs?: number;
  sweepEveryMs?: number;
  /** Time and the sweep's timer (the system clock when omitted). */
  clock?: Clock;
}

/** A file inside an item's HLS folder: the only names ever served from it. */
const HLS_FILE = /^(master\.m3u8|v\d{1,2}\/(index\.m3u8|init(_\d{1,2})?\.mp4|seg_\d{5,}\.m4s))$/;

/**
 * The on-disk layout under MEDIA_DIR: `<id>/original.<ext>`, `<id>/poster.jpg`,
 * `<id>/hls/...`, and `.incoming/` for uploads in flight. Paths are built only from
 * validated ids and whitelisted names, so nothing outside MEDIA_DIR is ever reached.
 */
export class MediaStorage {
  readonly root: string;
  private readonly logger = new Logger('Media');
  private readonly shared: boolean;
  private readonly staleIncomingMs: number;
  private readonly sweepEveryMs: number;
  private readonly clock: Clock;
  private sweeper: Timer | null = null;

  constructor(mediaDir: string, options: MediaStorageOptions = { shared: false }) {
    this.root = resolve(mediaDir);
    this.shared = options.shared;
    this.staleIncomingMs = options.staleIncomingMs ?? STALE_INCOMING_MS;
    this.sweepEveryMs = options.sweepEveryMs ?? INCOMING_SWEEP_EVERY_MS;
    this.clock = options.clock ?? new SystemClock();
  }

  /**
   * Uploads cut short by a crash or restart never finish. Alone on MEDIA_DIR, nothing in
   * `.incoming` survives a start; shared, other replicas may be receiving into it, so only
   * `.part` files untouched for STALE_INCOMING_MS go, at start and then periodically.
   */
  async init() {
    await mkdir(this.incomingDir(), { recursive: true });
    if (!this.shared) {
      const stale = await readdir(this.incomingDir());
      await Promise.all(stale.map((name) => rm(join(this.incomingDir(), name), { recursive: true, force: true })));
      return;
    }
    await this.sweepIncoming();
    this.sweeper ??= this.clock.setInterval(() => {
      this.sweepIncoming().catch((err: Error) => this.logger.warn(`sweeping ${this.incomingDir()}: ${err.message}`));
    }, this.sweepEveryMs);
  }

  close() {
    this.sweeper?.cancel();
    this.sweeper = null;
  }

  /** Removes `.part` files untouched for STALE_INCOMING_MS; returns how many went. */
  async sweepIncoming(): Promise<number> {
    const now = this.clock.now();
    let removed = 0;
    for (const name of await readdir(this.incomingDir())) {
      if (!name.endsWith('.part')) continue;
      const path = join(this.incomingDir(), name);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile() || now - info.mtimeMs <= this.staleIncomingMs) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  incomingDir() {
    return join(this.root, '.incoming');
  }

  newIncomingPath() {
    return join(this.incomingDir(), `${randomBytes(9).toString('base64url')}.part`);
  }

  itemDir(id: string) {
    if (!ID_PATTERN.test(id)) throw new Error('invalid media id');
    return join(this.root, id);
  }

  originalPath(id: string, originalName: string) {
    return join(this.itemDir(id), originalName);
  }

  posterPath(id: string) {
    return join(this.itemDir(id), 'poster.jpg');
  }

  hlsDir(id: string) {
    return join(this.itemDir(id), 'hls');
  }

  subtitleDir(id: string) {
    return join(this.itemDir(id), 'subtitles');
  }

  /** `<id>/subtitles/<trackId>.vtt`; track ids are validated like media ids. */
  subtitlePath(id: string, trackId: string) {
    if (!ID_PATTERN.test(trackId)) throw new Error('invalid subtitle track id');
    return join(this.subtitleDir(id), `${trackId}.vtt`);
  }

  /** Written whole under a temporary name, then renamed: a reader never sees half a track. */
  async writeSubtitle(id: string, trackId: string, text: string) {
    const path = this.subtitlePath(id, trackId);
    await mkdir(this.subtitleDir(id), { recursive: true });
    await writeFile(`${path}.tmp`, text);
    await rename(`${path}.tmp`, path);
  }

  async removeSubtitle(id: string, trackId: string) {
    await rm(this.subtitlePath(id, trackId), { force: true });
  }

  /** Null for any name that is not one of ours (traversal, encoded slashes, junk). */
  hlsPath(id: string, name: string): string | null {
    return ID_PATTERN.test(id) && HLS_FILE.test(name) ? join(this.hlsDir(id), name) : null;
  }

  async adopt(incoming: string, id: string, originalName: string) {
    await mkdir(this.itemDir(id), { recursive: true });
    await rename(incoming, this.originalPath(id, originalName));
  }

  async remove(id: string) {
    await rm(this.itemDir(id), { recursive: true, force: true });
  }

  /** Bytes of every file in the item's folder (0 when it is gone). */
  async itemBytes(id: string): Promise<number> {
    let entries;
    try {
      entries = await readdir(this.itemDir(id), { recursive: true, withFileTypes: true });
    } catch {
      return 0;
    }
    let total = 0;
    for (const e of entries) {
      if (!e.isFile()) continue;
      total += (await stat(join(e.parentPath, e.name)).catch(() => null))?.size ?? 0;
    }
    return total;
  }

  /** Drops a partial encode; the original and the poster stay. */
  async removeHls(id: string) {
    await rm(this.hlsDir(id), { recursive: true, force: true });
  }

  /** True once the first variant playlist lists a segment and the master (ours, see writeMaster) exists. */
  async hlsPlayable(id: string): Promise<boolean> {
    try {
      await stat(join(this.hlsDir(id), 'master.m3u8'));
      return (await readFile(join(this.hlsDir(id), 'v0', 'index.m3u8'), 'utf8')).includes('#EXTINF');
    } catch {
      return false;
    }
  }

  /**
   * Writes the served master playlist (atomically) from ffmpeg's (RESOLUTION, CODECS) for
   * `rungs` in order: BANDWIDTH and AVERAGE-BANDWIDTH measured from each variant's segments (and
   * the audio rendition's, added) when `measured` (the encode is complete), else the rungs'
   * nominal bit rate for both; FRAME-RATE `fps`. With an audio rendition in `layout`, it is
   * listed once (EXT-X-MEDIA) and every variant refers to it. While encoding only the
   * `layout.earlyVariants` first rungs are listed (the others are still behind). Returns the
   * renditions with the BANDWIDTH written (nominal for those not listed yet), or null (nothing
   * written) while ffmpeg has not written its first master yet.
   */
  async writeMaster(
    id: string,
    rungs: readonly Rendition[],
    fps: number,
    measured: boolean,
    layout: HlsLayout = { videoVariants: rungs.length, audioVariant: null, earlyVariants: rungs.length },
  ): Promise<Rendition[] | null> {
    const dir = this.hlsDir(id);
    const described: StreamInf[] = [];
    for (const [n, name] of FFMPEG_MASTERS.entries()) {
      try {
        described.push(...parseMasterPlaylist(await readFile(join(dir, name), 'utf8')));
      } catch {
        if (n === 0) return null;
      }
    }
    const audioUri = layout.audioVariant === null ? null : `v${layout.audioVariant}/index.m3u8`;
    const audioRates = audioUri !== null && measured ? await this.measureVariant(join(dir, `v${layout.audioVariant}`)) : null;
    const audioCodecs = audioUri === null ? undefined : (describedVariant(described, audioUri).codecs ?? AUDIO_CODECS);
    const variants: MasterVariant[] = [];
    for (const [i, rung] of rungs.entries()) {
      const uri = `v${i}/index.m3u8`;
      const video = measured ? await this.measureVariant(join(dir, `v${i}`)) : null;
      const rates = video ? withAudioRates(video, audioRates) : null;
      const { resolution, codecs } = describedVariant(described, uri);
      variants.push({
        uri,
        bandwidth: rates?.peak ?? rung.bandwidth,
        averageBandwidth: rates?.average ?? rung.bandwidth,
        frameRate: fps,
        ...(resolution ? { resolution } : {}),
        ...(codecs ? { codecs: withAudioCodec(codecs, audioCodecs) } : {}),
        ...(audioUri !== null ? { audio: AUDIO_GROUP } : {}),
      });
    }
    const listed = measured ? variants : variants.slice(0, layout.earlyVariants);
    const audio = audioUri === null ? null : { uri: audioUri, groupId: AUDIO_GROUP, name: 'Audio', channels: AUDIO_CHANNELS };
    const file = join(dir, 'master.m3u8');
    const tmp = `${file}.tmp`;
    await writeFile(tmp, renderMasterPlaylist(listed, audio));
    await rename(tmp, file);
    return rungs.map((r, i) => ({ height: r.height, bandwidth: variants[i].bandwidth }));
  }

  /** Peak and average bit rates of one variant's segments as listed in its playlist (init segment not counted). */
  private async measureVariant(variantDir: string): Promise<{ peak: number; average: number } | null> {
    let text: string;
    try {
      text = await readFile(join(variantDir, 'index.m3u8'), 'utf8');
    } catch {
      return null;
    }
    const { targetDurationSec, segments } = parseMediaPlaylist(text);
    const sized: { durationSec: number; bytes: number }[] = [];
    for (const s of segments) {
      if (!/^seg_\d{5,}\.m4s$/.test(s.uri)) continue;
      const bytes = (await stat(join(variantDir, s.uri)).catch(() => null))?.size;
      if (bytes !== undefined) sized.push({ durationSec: s.durationSec, bytes });
    }
    return measureBandwidth(sized, targetDurationSec ?? SEGMENT_SECONDS);
  }

  /** EVENT playlists become VOD once the encode is complete (atomic replace). */
  async finalizePlaylists(id: string, variants: number) {
    for (let i = 0; i < variants; i++) {
      const file = join(this.hlsDir(id), `v${i}`, 'index.m3u8');
      const text = await readFile(file, 'utf8');
      const tmp = `${file}.tmp`;
      await writeFile(tmp, text.replace('#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-PLAYLIST-TYPE:VOD'));
      await rename(tmp, file);
    }
  }
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  ts: 'video/mp2t',
  avi: 'video/x-msvideo',
  ogv: 'video/ogg',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
};

/** A safe stored name and content type from whatever filename the client sent. */
export function originalFileName(clientName: string): { name: string; contentType: string } {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(clientName)?.[1]?.toLowerCase() ?? '';
  const known = CONTENT_TYPES[ext];
  return known ? { name: `original.${ext}`, contentType: known } : { name: 'original.bin', contentType: 'application/octet-stream' };
}

/** A title from a filename: no folders, no extension, tidy spaces, at most 120 characters. */
export function titleFromFileName(clientName: string): string {
  const base = clientName.split(/[\\/]/).pop() ?? '';
  const title = base.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[_.]+/g, ' ').replace(/\s+/g, ' ').trim();
  return (title || 'Untitled video').slice(0, 120);
}

export const HLS_CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
};
