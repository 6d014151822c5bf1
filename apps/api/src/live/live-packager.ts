import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Packager, PackagerOptions } from './live-encoder';

/** 1 s segments, a sliding window of 6, keyframes exactly on segment boundaries. */
export const SEGMENT_SECONDS = 1;
const LIST_SIZE = 6;
const FPS = 30;
/** More than this waiting on ffmpeg's stdin: the machine can't keep up; the publisher is cut. */
const MAX_STDIN_BACKLOG = 16 * 1024 * 1024;
const WATCH_EVERY_MS = 200;
/** ffmpeg gets this long to flush after its input ends, then it is killed. */
const FINISH_GRACE_MS = 10_000;

export const SEGMENT_NAME = /^seg_(\d{1,9})\.ts$/;
export const PLAYLIST_NAME = 'index.m3u8';
export const RECORDING_PART = /^rec_(\d{1,6})\.ts$/;

/** The ffmpeg arguments: one encode, teed into the live HLS window and a recording part. */
export function packagerArguments(o: Pick<PackagerOptions, 'dir' | 'input' | 'run' | 'startNumber'>): string[] {
  // temp_file: playlists and segments appear by rename, never half-written.
  const flags = ['program_date_time', 'delete_segments', 'independent_segments', 'omit_endlist', 'append_list', 'temp_file'];
  if (o.run > 1) flags.push('discont_start');
  const hls = [
    'f=hls',
    `hls_time=${SEGMENT_SECONDS}`,
    `hls_list_size=${LIST_SIZE}`,
    'hls_delete_threshold=4',
    `hls_flags=${flags.join('+')}`,
    `start_number=${o.startNumber}`,
    `hls_segment_filename=${teeEscape(join(o.dir, 'seg_%d.ts'))}`,
  ].join(':');
  const tee = `[${hls}]${teeEscape(join(o.dir, PLAYLIST_NAME))}|[f=mpegts:onfail=ignore]${teeEscape(join(o.dir, `rec_${o.run}.ts`))}`;
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
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-vf',
    `fps=${FPS},scale=-2:'min(720,trunc(ih/2)*2)',format=yuv420p`,
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
    '-g',
    String(FPS * SEGMENT_SECONDS),
    '-keyint_min',
    String(FPS * SEGMENT_SECONDS),
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
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
 * short-segment HLS and a recording part come out in the show's folder. Its timers and clock
 * reads stay real: they poll ffmpeg's files and compare with the wall-clock PDTs ffmpeg writes.
 */
export class LivePackager implements Packager {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private firstInputAt: number | null = null;
  private watcher: NodeJS.Timeout | null = null;
  private exited = false;
  readonly done: Promise<void>;

  constructor(
    ffmpeg: string,
    private readonly o: PackagerOptions,
  ) {
    this.child = spawn(ffmpeg, packagerArguments(o), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined); // EPIPE once ffmpeg is gone
    this.child.stdout.resume();
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.done = new Promise((resolve) => {
      const finish = (code: number | null) => {
        if (this.exited) return;
        this.exited = true;
        this.stopWatching();
        o.onExit(code, this.stderr);
        resolve();
      };
      this.child.on('error', (err) => {
        this.stderr += err.message;
        finish(-1);
      });
      this.child.on('close', (code) => finish(code));
    });
    this.watcher = setInterval(() => void this.checkPlaylist(), WATCH_EVERY_MS);
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
  }

  kill() {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private stopWatching() {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = null;
  }

  /** Waits for this run's first segment and compares its PDT with when its input arrived. */
  private async checkPlaylist() {
    if (this.firstInputAt === null || !this.watcher) return;
    let text: string;
    try {
      text = await readFile(join(this.o.dir, PLAYLIST_NAME), 'utf8');
    } catch {
      return;
    }
    let pdt: number | null = null;
    for (const line of text.split('\n')) {
      if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = parsePdt(line.slice(25));
      const seg = SEGMENT_NAME.exec(line.trim());
      if (seg && Number(seg[1]) >= this.o.startNumber) {
        if (!this.watcher) return;
        this.stopWatching();
        const captured = this.firstInputAt - this.o.inputLeadMs;
        this.o.onReady(pdt === null ? 0 : Math.round(captured - pdt));
        return;
      }
      if (seg) pdt = null;
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

/** The next segment number after those listed in an existing playlist (0 when none). */
export async function nextSegmentNumber(dir: string): Promise<number> {
  try {
    const text = await readFile(join(dir, PLAYLIST_NAME), 'utf8');
    let next = 0;
    for (const line of text.split('\n')) {
      const seg = SEGMENT_NAME.exec(line.trim());
      if (seg) next = Math.max(next, Number(seg[1]) + 1);
    }
    return next;
  } catch {
    return 0;
  }
}
