import { join } from 'node:path';
import { LiveEncoder, type Packager, type PackagerOptions } from '../live-encoder';
import { PLAYLIST_NAME, segmentName } from '../live-storage';
import type { MemoryLiveStorage } from './memory-live-storage';

/**
 * A packager without ffmpeg: it keeps what the publisher sent, appends it to the run's
 * recording part (`rec_<run>.ts`, as ffmpeg's tee would) and exits when told.
 */
export class FakePackager implements Packager {
  readonly done: Promise<void>;
  readonly written: Buffer[] = [];
  /** Set false to play an encoder that can't keep up: `write` refuses. */
  keepingUp = true;
  /** What `outputFps` answers (the real one measures the fMP4 fragments). */
  fps: number | null = null;
  private exited = false;
  private resolveDone: () => void = () => undefined;

  constructor(
    readonly options: PackagerOptions,
    private readonly storage: MemoryLiveStorage,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  write(data: Buffer): boolean {
    if (this.exited) return false;
    this.written.push(data);
    this.storage.append(join(this.options.dir, `rec_${this.options.run}.ts`), data);
    return this.keepingUp;
  }

  async finish(): Promise<void> {
    this.exit(0, '');
    await this.done;
  }

  outputFps(): number | null {
    return this.fps;
  }

  /** The encoder listed this run's first segment; `offsetMs` corrects its PDT. */
  listFirstSegment(offsetMs: number) {
    this.options.onReady(offsetMs);
  }

  /**
   * The live playlist lists `count` segments of this run (the next run continues after them),
   * each `duration` s long and written as `segmentBytes` bytes.
   */
  writePlaylist(count: number, { duration = 1, segmentBytes = 0 }: { duration?: number; segmentBytes?: number } = {}) {
    const lines = ['#EXTM3U'];
    for (let i = 0; i < count; i++) {
      const seq = this.options.startNumber + i;
      lines.push(`#EXTINF:${duration.toFixed(6)},`, segmentName(seq));
      this.storage.put(join(this.options.dir, segmentName(seq)), Buffer.alloc(segmentBytes));
    }
    this.storage.put(join(this.options.dir, PLAYLIST_NAME), lines.join('\n'));
  }

  /** The encoder dies on its own (undecodable input, crash). */
  crash(code: number, stderr: string) {
    this.exit(code, stderr);
  }

  private exit(code: number | null, stderr: string) {
    if (this.exited) return;
    this.exited = true;
    this.options.onExit(code, stderr);
    this.resolveDone();
  }
}

/** LiveEncoder for unit tests: packagers in memory, recordings joined by concatenation, all in a MemoryLiveStorage. */
export class FakeLiveEncoder extends LiveEncoder {
  readonly packagers: FakePackager[] = [];
  readonly joined: { parts: string[]; output: string }[] = [];
  /** When set, joining the recording fails with this reason. */
  joinFailure: string | null = null;

  constructor(private readonly storage: MemoryLiveStorage) {
    super();
  }

  startPackager(options: PackagerOptions): FakePackager {
    const packager = new FakePackager(options, this.storage);
    this.packagers.push(packager);
    return packager;
  }

  async joinRecording(parts: string[], output: string): Promise<void> {
    if (this.joinFailure !== null) throw new Error(this.joinFailure);
    this.storage.put(output, Buffer.concat(parts.map((p) => this.storage.contents(p))));
    this.joined.push({ parts, output });
  }

  /** Thumbnails grabbed (segment paths); set `thumbnailVideo` false to play an audio-only stream. */
  readonly thumbnails: string[] = [];
  thumbnailVideo = true;

  async grabThumbnail(segment: string, output: string): Promise<boolean> {
    this.thumbnails.push(segment);
    this.storage.contents(segment); // the segment must be there, as ffmpeg needs it
    if (!this.thumbnailVideo) return false;
    this.storage.put(output, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    return true;
  }

  /** The packager started last. */
  get last(): FakePackager {
    const p = this.packagers.at(-1);
    if (!p) throw new Error('no packager was started');
    return p;
  }
}
