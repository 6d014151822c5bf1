import { dirname, join } from 'node:path';
import type { Clock } from '../../common/clock';
import { type FileInfo, LiveStorage } from '../live-storage';

/**
 * Show folders in memory, strict like a disk: writing into a folder that was not prepared
 * throws, reading a missing file answers null, files carry the (fake) clock's time. The fake
 * encoder writes its segments, parts and pictures here.
 */
export class MemoryLiveStorage extends LiveStorage {
  readonly root = '/media/live';
  private readonly dirs = new Set<string>();
  private readonly files = new Map<string, { data: Buffer; mtimeMs: number }>();
  /** Reads of the served playlist so far (to check caching). */
  playlistReads = 0;

  constructor(private readonly clock: Clock) {
    super();
  }

  // ---- for fakes and specs ----

  /** Writes (replaces) a file, as ffmpeg would. */
  put(path: string, data: Buffer | string): void {
    this.requireDir(dirname(path));
    this.files.set(path, { data: Buffer.from(data), mtimeMs: this.clock.now() });
  }

  /** Appends to a file (a recording part growing). */
  append(path: string, data: Buffer): void {
    const old = this.files.get(path)?.data ?? Buffer.alloc(0);
    this.put(path, Buffer.concat([old, data]));
  }

  /** A file's bytes; throws when missing (a spec asked for something that is not there). */
  contents(path: string): Buffer {
    const f = this.files.get(path);
    if (!f) throw new Error(`ENOENT: no such file ${path}`);
    return f.data;
  }

  has(path: string): boolean {
    return this.files.has(path) || this.dirs.has(path);
  }

  /** File names under a show's folder. */
  list(id: string): string[] {
    const dir = this.showDir(id);
    return [...this.files.keys()].filter((p) => dirname(p) === dir).map((p) => p.slice(dir.length + 1)).sort();
  }

  // ---- the port ----

  protected async makeDir(dir: string) {
    this.dirs.add(dir);
  }

  protected async read(path: string) {
    if (path.endsWith('/index.m3u8')) this.playlistReads++;
    return this.files.get(path)?.data ?? null;
  }

  protected async names(dir: string) {
    if (!this.dirs.has(dir)) return null;
    return [...this.files.keys()].filter((p) => dirname(p) === dir).map((p) => p.slice(dir.length + 1));
  }

  protected async replace(path: string, data: string) {
    this.put(path, data);
  }

  async info(path: string): Promise<FileInfo | null> {
    const f = this.files.get(path);
    return f ? { bytes: f.data.length, mtimeMs: f.mtimeMs } : null;
  }

  protected async removeDir(dir: string) {
    this.dirs.delete(dir);
    for (const p of [...this.files.keys()]) if (p.startsWith(join(dir, '/'))) this.files.delete(p);
  }

  private requireDir(dir: string) {
    if (!this.dirs.has(dir)) throw new Error(`ENOENT: no such folder ${dir}`);
  }
}
