import { ID_PATTERN } from '@watch-party/contracts';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EMPTY_WINDOW, endWindow, type HlsWindow, parseLivePlaylist, renderLivePlaylist } from './hls-window';

/** The playlist we serve (hls-window.ts); ffmpeg writes only its private per-run one. */
export const PLAYLIST_NAME = 'index.m3u8';
export const SEGMENT_NAME = /^seg_(\d{1,9})\.ts$/;
export const RECORDING_PART = /^rec_(\d{1,6})\.ts$/;
export const RECORDING_NAME = 'recording.mp4';
export const THUMBNAIL_NAME = 'thumb.jpg';
export const segmentName = (seq: number): string => `seg_${seq}.ts`;

/** What is known of a file without reading it. */
export interface FileInfo {
  bytes: number;
  /** Last written, epoch ms (a wall-clock time). */
  mtimeMs: number;
}

/**
 * A live show's folder (`MEDIA_DIR/live/<id>`): segments, the served playlist, recording parts,
 * the joined recording and the card picture. The rules (what is listed, which parts make the
 * recording, in what order) are here once; the file primitives below are the port, on disk at
 * runtime (`DiskLiveStorage`) and in memory in unit specs (`testing/memory-live-storage.ts`).
 */
export abstract class LiveStorage {
  /** The folder of all shows. */
  abstract readonly root: string;

  protected abstract makeDir(dir: string): Promise<void>;
  /** Null when there is no such file. */
  protected abstract read(path: string): Promise<Buffer | null>;
  /** File names in `dir`; null when there is no such folder. */
  protected abstract names(dir: string): Promise<string[] | null>;
  /** Writes by rename: a reader never sees half of it. */
  protected abstract replace(path: string, data: string): Promise<void>;
  abstract info(path: string): Promise<FileInfo | null>;
  protected abstract removeDir(dir: string): Promise<void>;

  /** Throws on anything but a show id: no path is ever built from untrusted text. */
  showDir(id: string): string {
    if (!ID_PATTERN.test(id)) throw new Error('invalid show id');
    return join(this.root, id);
  }

  /** Creates the show's folder; its path. */
  async prepare(id: string): Promise<string> {
    const dir = this.showDir(id);
    await this.makeDir(dir);
    return dir;
  }

  /** Null unless `name` is the playlist or a segment name we write (and `id` a show id). */
  hlsPath(id: string, name: string): string | null {
    if (!ID_PATTERN.test(id)) return null;
    return name === PLAYLIST_NAME || SEGMENT_NAME.test(name) ? join(this.showDir(id), name) : null;
  }

  segmentPath(id: string, seq: number): string {
    return join(this.showDir(id), segmentName(seq));
  }

  recordingPath(id: string): string {
    return join(this.showDir(id), RECORDING_NAME);
  }

  thumbnailPath(id: string): string {
    return join(this.showDir(id), THUMBNAIL_NAME);
  }

  /** The served playlist's text; null before the first segment, and once the files are gone. */
  async readPlaylist(id: string): Promise<string | null> {
    return (await this.read(join(this.showDir(id), PLAYLIST_NAME)))?.toString('utf8') ?? null;
  }

  /** The served window (empty when there is none yet). */
  async readWindow(id: string): Promise<HlsWindow> {
    const text = await this.readPlaylist(id);
    return text === null ? EMPTY_WINDOW : parseLivePlaylist(text);
  }

  /** The show is over: its playlist gets EXT-X-ENDLIST (players stop cleanly). No-op without one. */
  async endPlaylist(id: string): Promise<void> {
    const window = await this.readWindow(id);
    if (window.segments.length === 0 || window.ended) return;
    await this.replace(join(this.showDir(id), PLAYLIST_NAME), renderLivePlaylist(endWindow(window)));
  }

  /**
   * The next segment number of a show: after every number listed in its served playlist and
   * every segment file still there (0 when none), so a new run never reuses or renumbers one.
   */
  async nextSegmentNumber(id: string): Promise<number> {
    const listed = (await this.readWindow(id)).segments.map((s) => s.seq);
    const files = numbered(await this.names(this.showDir(id)), SEGMENT_NAME);
    return Math.max(-1, ...listed, ...files) + 1;
  }

  /** The recording parts (one per run), in run order; null when the folder is gone. */
  async recordingParts(id: string): Promise<string[] | null> {
    const dir = this.showDir(id);
    const names = await this.names(dir);
    if (names === null) return null;
    return numbered(names, RECORDING_PART)
      .sort((a, b) => a - b)
      .map((run) => join(dir, `rec_${run}.ts`));
  }

  /** Size and time of each listed segment still there (missing ones are left out). */
  async segmentFiles(id: string, seqs: readonly number[]): Promise<({ seq: number } & FileInfo)[]> {
    const out: ({ seq: number } & FileInfo)[] = [];
    for (const seq of seqs) {
      const info = await this.info(this.segmentPath(id, seq));
      if (info) out.push({ seq, ...info });
    }
    return out;
  }

  /** The show's live files are gone for good. */
  async remove(id: string): Promise<void> {
    await this.removeDir(this.showDir(id));
  }
}

function numbered(names: readonly string[] | null, pattern: RegExp): number[] {
  return (names ?? [])
    .map((n) => pattern.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

/** The show folders under MEDIA_DIR/live, shared by every replica. */
export class DiskLiveStorage extends LiveStorage {
  readonly root: string;

  constructor(mediaDir: string) {
    super();
    this.root = resolve(mediaDir, 'live');
  }

  protected async makeDir(dir: string) {
    await mkdir(dir, { recursive: true });
  }

  protected read(path: string) {
    return readFile(path).catch(() => null);
  }

  protected names(dir: string) {
    return readdir(dir).catch(() => null);
  }

  protected replace(path: string, data: string) {
    return writeAtomically(path, data);
  }

  async info(path: string): Promise<FileInfo | null> {
    const st = await stat(path).catch(() => null);
    return st?.isFile() ? { bytes: st.size, mtimeMs: st.mtimeMs } : null;
  }

  protected async removeDir(dir: string) {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- file work of the packager and the encoder (the ffmpeg side of a show's folder) ----

/** Writes `path` by rename: a reader never sees half of it. */
export async function writeAtomically(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** The served window of a show's folder (empty when there is none yet). */
export async function readWindowIn(dir: string): Promise<HlsWindow> {
  return parseLivePlaylist((await readTextIn(dir, PLAYLIST_NAME)) ?? '');
}

/** Writes the served playlist by rename. */
export function writeWindowIn(dir: string, window: HlsWindow): Promise<void> {
  return writeAtomically(join(dir, PLAYLIST_NAME), renderLivePlaylist(window));
}

/** A text file of the folder (ffmpeg's run playlist); null when missing. */
export function readTextIn(dir: string, name: string): Promise<string | null> {
  return readFile(join(dir, name), 'utf8').catch(() => null);
}

/** Segment numbers of the files in the folder. */
export async function segmentNumbersIn(dir: string): Promise<number[]> {
  return numbered(await readdir(dir).catch(() => null), SEGMENT_NAME);
}

/** Deletes a file if it is there. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Moves a finished file into place. */
export function moveFile(from: string, to: string): Promise<void> {
  return rename(from, to);
}
