import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { spawnFfmpeg } from '../common/ffmpeg-process';
import { appendSegments, type HlsWindow, parseLivePlaylist, SEGMENT_RETENTION_MS, startOfRun } from './hls-window';
import { Fmp4Splitter } from './fmp4-splitter';
import type { Packager, PackagerOptions } from './live-encoder';
import { readTextIn, readWindowIn, removeFile, SEGMENT_NAME, segmentName, segmentNumbersIn, writeWindowIn } from './live-storage';
import { OutputFrameRate } from './output-frame-rate';

/** 1 s segments, keyframes exactly on segment boundaries; the served window is hls-window.ts's. */
export const SEGMENT_SECONDS = 1;
/** ffmpeg's own per-run playlist keeps this many (we only read the new ones from it). */
const RUN_LIST_SIZE = 12;
/** Longest fMP4 fragment of the sub-second (WebSocket) output. */
export const FRAGMENT_MS = 500;
/** Frame rates above this are reduced to it; lower ones are kept. */
export const MAX_FPS = 60;
/** More than this waiting on ffmpeg's stdin: the machine can't keep up; the publisher is cut. */
const MAX_STDIN_BACKLOG = 16 * 1024 * 1024;
const WATCH_EVERY_MS = 200;
/** ffmpeg gets this long to flush after its input ends, then it is killed. */
const FINISH_GRACE_MS = 10_000;

/** ffmpeg's private playlist of one run: never served. */
export const runPlaylistName = (run: number): string => `run_${run}.m3u8`;

/** The ffmpeg arguments: one encode, teed into this run's HLS segments and a recording part. */
export function packagerArguments(o: Pick<PackagerOptions, 'dir' | 'input' | 'run' | 'startNumber'>): string[] {
  // temp_file: playlists and segments appear by rename, never half-written. No deleting and no
  // appending to an old list: our served window (hls-window.ts) numbers, slides and deletes.
  const flags = ['program_date_time', 'independent_segments', 'temp_file'];
  const hls = [
    'f=hls',
    `hls_time=${SEGMENT_SECONDS}`,
    `hls_list_size=${RUN_LIST_SIZE}`,
    `hls_flags=${flags.join('+')}`,
    `start_number=${o.startNumber}`,
    `hls_segment_filename=${teeEscape(join(o.dir, 'seg_%d.ts'))}`,
  ].join(':');
  // Sub-second delivery: the same encode as fragmented MP4 on stdout (FRAGMENT_MS fragments,
  // a new one at every keyframe), split and relayed by the live-watch hub.
  const fmp4 = `[f=mp4:movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=${FRAGMENT_MS * 1000}:onfail=ignore]pipe\\:1`;
  const tee = `[${hls}]${teeEscape(join(o.dir, runPlaylistName(o.run)))}|[f=mpegts:onfail=ignore]${teeEscape(join(o.dir, `rec_${o.run}.ts`))}|${fmp4}`;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    '-fflags',
    '+genpts+discardcorrupt',
    '-probesize',
    '1000000',
    '-analyzeduration',
    '1000000',
    ...(o.input === 'flv' ? ['-f', 'flv'] : []),
    '-i',
    'pipe:0',
    // Video, audio, or both: an audio-only (radio) or video-only stream is a show too.
    '-map',
    '0:v:0?',
    '-map',
    '0:a:0?',
    '-vf',
    `scale=-2:'min(720,trunc(ih/2)*2)',format=yuv420p`,
    // The source's frame rate, up to MAX_FPS (a 60 fps game stream stays 60 fps).
    '-fpsmax',
    String(MAX_FPS),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'high',
    '-crf',
    '23',
    '-maxrate',
    '4000k',
    '-bufsize',
    '4000k',
    // Keyframes exactly every SEGMENT_SECONDS at any frame rate (forced), none in between.
    '-g',
    String(MAX_FPS * SEGMENT_SECONDS),
    '-keyint_min',
    '1',
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
    // Codec parameters in the stream headers, which fMP4 needs; MPEG-TS still repeats them
    // before every keyframe, so each HLS segment decodes on its own.
    '-flags',
    '+global_header',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    '-ar',
    '48000',
    '-f',
    'tee',
    tee,
  ];
}

/** Escapes a value for the tee muxer's `[options]path|...` syntax. */
function teeEscape(value: string): string {
  return value.replace(/[\\:|[\]'=]/g, (c) => `\\${c}`);
}

/**
 * One ffmpeg per live show (per publisher connection): the publisher's bytes go to its stdin,
 * short segments and a recording part come out in the show's folder. Every WATCH_EVERY_MS the
 * segments ffmpeg has listed in its private run playlist are added to the served window
 * (hls-window.ts), which is written by rename; segments that left the window are deleted
 * SEGMENT_RETENTION_MS later. Its timers and clock reads stay real: they poll ffmpeg's files
 * and compare with the wall-clock PDTs ffmpeg writes.
 */
export class LivePackager implements Packager {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private firstInputAt: number | null = null;
  private watcher: NodeJS.Timeout | null = null;
  private exited = false;
  private ready = false;
  private window: HlsWindow | null = null;
  /** Segment numbers out of the window, and since when (ms). */
  private readonly leaving: { seq: number; atMs: number }[] = [];
  private readonly frameRate = new OutputFrameRate();
  private updating: Promise<void> = Promise.resolve();
  readonly done: Promise<void>;

  constructor(
    ffmpeg: string,
    private readonly o: PackagerOptions,
  ) {
    this.child = spawnFfmpeg(ffmpeg, packagerArguments(o), { stdio: ['pipe', 'pipe', 'pipe'] });
    let lastFragmentAt = Date.now();
    const splitter = new Fmp4Splitter(
      (init) => o.onInit?.(init),
      (fragment) => {
        // Its media began arriving around when the previous fragment was complete.
        const wallclock = lastFragmentAt;
        lastFragmentAt = Date.now();
        this.frameRate.add(fragment.videoFrames, fragment.videoStartSec);
        o.onFragment?.({ data: fragment.data, keyframe: fragment.keyframe, wallclock });
      },
    );
    this.child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.done = new Promise((resolve) => {
      const finish = (code: number | null) => {
        if (this.exited) return;
        this.exited = true;
        this.stopWatching();
        // The last segments ffmpeg flushed on its way out join the window before we report.
        void this.update().finally(() => {
          o.onExit(code, this.stderr);
          resolve();
        });
      };
      this.child.on('error', (err) => {
        this.stderr += err.message;
        finish(-1);
      });
      this.child.on('close', (code) => finish(code));
    });
    this.watcher = setInterval(() => void this.update(), WATCH_EVERY_MS);
  }

  /** False when ffmpeg can't keep up (or is gone): the caller cuts the publisher. */
  write(data: Buffer): boolean {
    if (this.exited) return false;
    this.firstInputAt ??= Date.now();
    if (this.child.stdin.writableLength > MAX_STDIN_BACKLOG) return false;
    this.child.stdin.write(data);
    return true;
  }

  /** End of input: ffmpeg flushes and exits; killed if it takes longer than `graceMs`. */
  async finish(graceMs = FINISH_GRACE_MS): Promise<void> {
    if (!this.exited) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.done;
      clearTimeout(timer);
    }
    await this.done;
  }

  outputFps(): number | null {
    return this.frameRate.fps;
  }

  kill() {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private stopWatching() {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = null;
  }

  /** One update at a time, in order. */
  private update(): Promise<void> {
    this.updating = this.updating.then(() => this.sync()).catch(() => undefined);
    return this.updating;
  }

  private async sync() {
    const dir = this.o.dir;
    if (this.window === null) {
      this.window = await readWindowIn(dir);
      // Segments an earlier run left behind outside the window: deleted after the retention.
      for (const seq of await segmentNumbersIn(dir)) {
        if (seq < this.window.mediaSequence) this.leaving.push({ seq, atMs: Date.now() });
      }
    }
    const runText = (await readTextIn(dir, runPlaylistName(this.o.run))) ?? '';
    const last = this.window.segments[this.window.segments.length - 1]?.seq ?? -1;
    const fresh = parseLivePlaylist(runText).segments.filter((s) => s.seq >= this.o.startNumber && s.seq > last);
    if (fresh.length > 0) {
      const first = fresh[0].seq === this.o.startNumber;
      const { window, removed } = appendSegments(this.window, first ? startOfRun(fresh, this.o.run > 1) : fresh);
      await writeWindowIn(dir, window);
      this.window = window;
      const now = Date.now();
      for (const seq of removed) this.leaving.push({ seq, atMs: now });
      if (!this.ready && first) {
        this.ready = true;
        const pdt = fresh[0].pdt === null ? null : parsePdt(fresh[0].pdt);
        const captured = (this.firstInputAt ?? now) - this.o.inputLeadMs;
        this.o.onReady(pdt === null ? 0 : Math.round(captured - pdt));
      }
    }
    const now = Date.now();
    while (this.leaving.length > 0 && now - this.leaving[0].atMs >= SEGMENT_RETENTION_MS) {
      const gone = this.leaving.shift();
      if (gone) await removeFile(join(dir, segmentName(gone.seq)));
    }
  }
}

/** ffmpeg writes `2026-01-02T03:04:05.678+0000`. */
export function parsePdt(value: string): number | null {
  const ms = Date.parse(value.trim().replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : null;
}

/** The playlist as served: each run's PROGRAM-DATE-TIME shifted to when its frames were captured. */
export function correctPlaylist(text: string, fixes: { fromSeq: number; offsetMs: number }[]): string {
  if (fixes.length === 0) return text;
  const sorted = [...fixes].sort((a, b) => b.fromSeq - a.fromSeq);
  const lines = text.split('\n');
  let pending: number | null = null; // index of a PDT line waiting for its segment
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      pending = i;
      continue;
    }
    const seg = SEGMENT_NAME.exec(line.trim());
    if (seg && pending !== null) {
      const fix = sorted.find((f) => Number(seg[1]) >= f.fromSeq);
      const at = parsePdt(lines[pending].slice(25));
      if (fix && at !== null) lines[pending] = `#EXT-X-PROGRAM-DATE-TIME:${new Date(at + fix.offsetMs).toISOString()}`;
      pending = null;
    }
  }
  return lines.join('\n');
}
