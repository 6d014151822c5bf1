import { type FfmpegRunResult as RunResult, runFfmpeg as run } from '../common/ffmpeg-process';
import { mkdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { hlsLayout, hlsPasses, type LadderRung, layoutVariants } from './ladder';
import { SUBTITLE_LANG_MAX, SUBTITLE_LANG_PATTERN } from '@watch-party/contracts';
import { type ProbeResult, type SubtitleStream, TEXT_SUBTITLE_CODECS, type TranscodeProgress, Transcoder } from './transcoder';

const PROBE_TIMEOUT_MS = 30_000;
/** How often the first pass's playlists are read until they list a segment (the job is playable). */
export const FIRST_SEGMENT_POLL_MS = 50;

export interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string | undefined>;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string };
}

export class FfmpegTranscoder extends Transcoder {
  constructor(
    private readonly ffmpeg: string,
    private readonly ffprobe: string,
  ) {
    super();
  }

  async available(): Promise<boolean> {
    const [a, b] = await Promise.all([
      run(this.ffmpeg, ['-version'], { timeoutMs: 10_000 }),
      run(this.ffprobe, ['-version'], { timeoutMs: 10_000 }),
    ]);
    return a.code === 0 && b.code === 0;
  }

  async probe(file: string): Promise<ProbeResult | null> {
    const r = await run(this.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (r.code !== 0) return null;
    let info: FfprobeOutput;
    try {
      info = JSON.parse(r.stdout) as FfprobeOutput;
    } catch {
      return null;
    }
    const video = info.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height);
    if (!video?.width || !video.height || video.index === undefined) return null;
    const duration = positive(info.format?.duration) ?? positive(video.duration);
    const frames = positive(video.nb_frames) ?? (await this.countPackets(file, video.index));
    // The true average: a header rate says little about variable frame timing.
    const streamSeconds = positive(video.duration) ?? duration;
    const fps = frames && streamSeconds ? frames / streamSeconds : parseRate(video.avg_frame_rate) || parseRate(video.r_frame_rate);
    return {
      durationSec: duration,
      width: video.width,
      height: video.height,
      fps,
      hasAudio: info.streams?.some((s) => s.codec_type === 'audio') ?? false,
      codec: video.codec_name ?? 'unknown',
      stream: video.index,
      frames,
      subtitles: textSubtitles(info.streams ?? []),
    };
  }

  /** Packets of one stream, read without decoding (containers such as Matroska keep no count). */
  private async countPackets(file: string, stream: number): Promise<number | null> {
    const r = await run(
      this.ffprobe,
      ['-v', 'error', '-select_streams', String(stream), '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file],
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    return r.code === 0 ? positive(r.stdout.trim()) : null;
  }

  async decodableFrames(file: string, probe: ProbeResult, atMost: number): Promise<number> {
    const r = await run(
      this.ffmpeg,
      ['-v', 'error', '-nostdin', '-progress', 'pipe:1', '-nostats', '-i', file,
        '-map', `0:${probe.stream ?? 'v:0'}`, '-frames:v', String(atMost), '-f', 'null', '-'],
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    if (r.code !== 0) return 0;
    const counts = [...r.stdout.matchAll(/^frame=(\d+)/gm)];
    return counts.length > 0 ? Number(counts[counts.length - 1][1]) : 0;
  }

  async transcodeHls(
    input: string,
    outDir: string,
    rungs: LadderRung[],
    probe: ProbeResult,
    onProgress: (progress: TranscodeProgress) => void,
    signal: AbortSignal,
    onPlayable?: () => void,
  ): Promise<void> {
    const layout = hlsLayout(rungs.length, probe.hasAudio);
    await Promise.all(layoutVariants(layout).map((v) => mkdir(join(outDir, `v${v}`), { recursive: true })));
    const passes = hlsPasses(input, outDir, rungs, probe.fps, probe.hasAudio, probe.stream);
    // One pass failing stops the others; the caller's abort stops them all.
    const stop = new AbortController();
    const abort = () => stop.abort();
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    // The job's progress is its slowest pass's (a pass not started yet counts 0).
    const progress = passes.map((): TranscodeProgress => ({ outSeconds: 0, frames: 0 }));
    const report = () =>
      onProgress({ outSeconds: Math.min(...progress.map((p) => p.outSeconds)), frames: Math.min(...progress.map((p) => p.frames)) });
    const start = (n: number): Promise<RunResult> =>
      run(this.ffmpeg, passes[n].args, { signal: stop.signal, onStdout: progressReader(progress[n], report) }).then((r) => {
        if (r.code !== 0) stop.abort();
        return r;
      });
    try {
      const first = start(0);
      let firstDone = false;
      void first.finally(() => (firstDone = true));
      // The lowest rung and the audio alone until they are playable: nothing else takes the CPU.
      const firstPlaylists = passes[0].variants.map((v) => join(outDir, `v${v}`, 'index.m3u8'));
      while (!firstDone && !stop.signal.aborted && !(await allListSegments(firstPlaylists))) await sleep(FIRST_SEGMENT_POLL_MS);
      if (!stop.signal.aborted && (await allListSegments(firstPlaylists))) onPlayable?.();
      const results = await Promise.all([first, ...passes.slice(1).map((_, i) => (stop.signal.aborted ? null : start(i + 1)))]);
      if (signal.aborted) throw new Error('cancelled');
      // The pass that failed by itself, rather than one it stopped.
      const failed = results.find((r) => r !== null && r.code !== 0 && r.code !== null) ?? results.find((r) => r !== null && r.code !== 0);
      if (failed) throw new Error(`ffmpeg failed (${failed.code}): ${lastLine(failed.stderr)}`);
      if (results.includes(null)) throw new Error('ffmpeg stopped');
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  async extractSubtitles(input: string, tracks: { stream: number; output: string }[], signal: AbortSignal): Promise<void> {
    if (tracks.length === 0) return;
    await Promise.all(tracks.map(({ output }) => mkdir(dirname(output), { recursive: true })));
    const outputs = tracks.flatMap(({ stream, output }) => ['-map', `0:${stream}`, '-c:s', 'webvtt', '-f', 'webvtt', output]);
    const r = await run(this.ffmpeg, ['-v', 'error', '-nostdin', '-y', '-i', input, ...outputs], { signal });
    if (signal.aborted) throw new Error('cancelled');
    if (r.code !== 0) throw new Error(`ffmpeg failed (${r.code}): ${lastLine(r.stderr)}`);
  }

  async poster(input: string, output: string, atSec: number, signal?: AbortSignal): Promise<boolean> {
    const r = await run(
      this.ffmpeg,
      ['-v', 'error', '-nostdin', '-y', '-ss', atSec.toFixed(2), '-i', input, '-frames:v', '1', '-vf', 'scale=-2:360', '-q:v', '4', output],
      { timeoutMs: PROBE_TIMEOUT_MS, signal },
    );
    return r.code === 0;
  }
}

/** The text subtitle streams of ffprobe's list, with their tags; picture subtitles and junk tags left out. */
export function textSubtitles(streams: FfprobeStream[]): SubtitleStream[] {
  return streams
    .filter((s) => s.codec_type === 'subtitle' && s.index !== undefined && TEXT_SUBTITLE_CODECS.has(s.codec_name ?? ''))
    .map((s) => {
      const language = s.tags?.['language']?.trim() ?? '';
      const title = s.tags?.['title']?.trim() ?? '';
      return {
        index: s.index ?? 0,
        codec: s.codec_name ?? 'unknown',
        language: language !== 'und' && language.length <= SUBTITLE_LANG_MAX && SUBTITLE_LANG_PATTERN.test(language) ? language : null,
        title: title === '' ? null : title,
      };
    });
}

/** A positive finite number from ffprobe's text, else null ("N/A", "0", junk). */
function positive(text: string | undefined): number | null {
  const n = Number(text);
  return text && Number.isFinite(n) && n > 0 ? n : null;
}

function parseRate(rate: string | undefined): number {
  const [n, d] = (rate ?? '').split('/').map(Number);
  return n && d ? n / d : 0;
}

/** ffmpeg's `-progress` lines (key=value, a block ending with `progress=`) into `into`; `report` after each block. */
function progressReader(into: TranscodeProgress, report: () => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const [key, value] = line.split('=', 2);
      if (key === 'out_time_us' && /^\d+$/.test(value)) into.outSeconds = Number(value) / 1e6;
      else if (key === 'frame' && /^\d+$/.test(value)) into.frames = Number(value);
      else if (key === 'progress') report();
    }
  };
}

/** Every playlist exists and lists a segment. */
async function allListSegments(playlists: string[]): Promise<boolean> {
  for (const file of playlists) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (!text.includes('#EXTINF')) return false;
  }
  return true;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}
