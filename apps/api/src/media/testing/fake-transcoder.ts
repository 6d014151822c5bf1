import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FFMPEG_MASTER, hlsLayout, type LadderRung, layoutVariants } from '../ladder';
import { type ProbeResult, type TranscodeProgress, Transcoder } from '../transcoder';

/** What the fake ffprobe answers unless told otherwise: 100 s of 720p at 30 fps, with sound. */
export const FAKE_PROBE: ProbeResult = { durationSec: 100, width: 1280, height: 720, fps: 30, hasAudio: true, codec: 'h264', stream: 0, frames: 3000 };

/** One `transcodeHls` call in progress: the test reports progress, then completes or fails it. */
export class FakeTranscodeJob {
  readonly promise: Promise<void>;
  private settled = false;
  private playableSaid = false;
  private resolve: () => void = () => undefined;
  private reject: (err: Error) => void = () => undefined;

  constructor(
    readonly input: string,
    readonly outDir: string,
    readonly rungs: LadderRung[],
    readonly probe: ProbeResult,
    private readonly onProgress: (progress: TranscodeProgress) => void,
    readonly signal: AbortSignal,
    private readonly onPlayable: () => void = () => undefined,
  ) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Like ffmpeg killed on abort: the call fails.
    signal.addEventListener('abort', () => this.settle(() => this.reject(new Error('cancelled'))), { once: true });
  }

  get running(): boolean {
    return !this.settled;
  }

  progress(outSeconds: number, frames: number) {
    this.onProgress({ outSeconds, frames });
  }

  /** The folders written: every rung, then the audio rendition when the source has sound. */
  get variants(): number[] {
    return layoutVariants(hlsLayout(this.rungs.length, this.probe.hasAudio));
  }

  /**
   * ffmpeg has written its master playlist and the first segment of every rendition (audio
   * included); the transcoder says the job is playable.
   */
  writeFirstSegments() {
    writeFileSync(join(this.outDir, FFMPEG_MASTER), '#EXTM3U\n');
    this.variants.forEach((v) => this.writeVariant(v, false));
    if (!this.playableSaid) {
      this.playableSaid = true;
      this.onPlayable();
    }
  }

  /** The encode ends well: every rendition is complete (still an EVENT playlist, as ffmpeg leaves it). */
  complete() {
    this.writeFirstSegments();
    this.variants.forEach((v) => this.writeVariant(v, true));
    this.settle(() => this.resolve());
  }

  /** ffmpeg exits with an error. */
  fail(message: string) {
    this.settle(() => this.reject(new Error(message)));
  }

  private writeVariant(i: number, ended: boolean) {
    const dir = join(this.outDir, `v${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'seg_00000.m4s'), Buffer.alloc(1000));
    const lines = ['#EXTM3U', '#EXT-X-PLAYLIST-TYPE:EVENT', '#EXTINF:2.000,', 'seg_00000.m4s', ...(ended ? ['#EXT-X-ENDLIST'] : [])];
    writeFileSync(join(dir, 'index.m3u8'), lines.join('\n'));
  }

  private settle(how: () => void) {
    if (this.settled) return;
    this.settled = true;
    how();
  }
}

/**
 * ffmpeg and ffprobe for unit tests: probes answer `probeResult`, posters are written at
 * once, and each encode waits for the test (`jobs`) to progress, complete or fail it.
 */
export class FakeTranscoder extends Transcoder {
  /** Do ffmpeg and ffprobe answer? */
  installed = true;
  /** null: ffprobe finds no picture stream. */
  probeResult: ProbeResult | null = FAKE_PROBE;
  /** Frames that really decode (at most `atMost` are counted). */
  decodable = Number.MAX_SAFE_INTEGER;
  readonly jobs: FakeTranscodeJob[] = [];
  /** What ffmpeg writes for each subtitle stream index (a minimal cue when not set). */
  subtitleText = new Map<number, string>();
  /** ffmpeg fails to extract subtitles. */
  subtitlesFail = false;
  /** The streams each `extractSubtitles` call was asked for. */
  readonly extractions: number[][] = [];

  async available(): Promise<boolean> {
    return this.installed;
  }

  async probe(): Promise<ProbeResult | null> {
    return this.probeResult && { ...this.probeResult };
  }

  async decodableFrames(_file: string, _probe: ProbeResult, atMost: number): Promise<number> {
    return Math.min(atMost, this.decodable);
  }

  transcodeHls(
    input: string,
    outDir: string,
    rungs: LadderRung[],
    probe: ProbeResult,
    onProgress: (progress: TranscodeProgress) => void,
    signal: AbortSignal,
    onPlayable?: () => void,
  ): Promise<void> {
    mkdirSync(outDir, { recursive: true });
    const job = new FakeTranscodeJob(input, outDir, rungs, probe, onProgress, signal, onPlayable);
    this.jobs.push(job);
    return job.promise;
  }

  async extractSubtitles(_input: string, tracks: { stream: number; output: string }[]): Promise<void> {
    this.extractions.push(tracks.map((t) => t.stream));
    if (this.subtitlesFail) throw new Error('ffmpeg failed (1): Invalid data found when processing input');
    for (const { stream, output } of tracks) {
      mkdirSync(dirname(output), { recursive: true }); // as the real one does
      writeFileSync(output, this.subtitleText.get(stream) ?? `WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nstream ${stream}\n`);
    }
  }

  async poster(_input: string, output: string): Promise<boolean> {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, Buffer.alloc(100));
    return true;
  }

  /** The encodes not finished yet, oldest first. */
  get running(): FakeTranscodeJob[] {
    return this.jobs.filter((j) => j.running);
  }
}
