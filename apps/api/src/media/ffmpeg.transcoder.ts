import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hlsArguments, type LadderRung } from './ladder';
import { SUBTITLE_LANG_MAX, SUBTITLE_LANG_PATTERN } from '@watch-party/contracts';
import { type ProbeResult, type SubtitleStream, TEXT_SUBTITLE_CODECS, type TranscodeProgress, Transcoder } from './transcoder';

const PROBE_TIMEOUT_MS = 30_000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a child process, collecting output; SIGKILL on abort or timeout. */
function run(
  cmd: string,
  args: string[],
  opts: { signal?: AbortSignal; timeoutMs?: number; onStdout?: (chunk: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    const timer = opts.timeoutMs ? setTimeout(kill, opts.timeoutMs) : undefined;
    if (opts.signal?.aborted) kill();
    else opts.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      if (opts.onStdout) opts.onStdout(s);
      else if (stdout.length < 1_000_000) stdout += s;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: err.message }));
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
      resolve({ code, stdout, stderr });
    });
  });
}

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
  ): Promise<void> {
    await Promise.all(rungs.map((_, i) => mkdir(join(outDir, `v${i}`), { recursive: true })));
    let buffer = '';
    const current: TranscodeProgress = { outSeconds: 0, frames: 0 };
    const r = await run(this.ffmpeg, hlsArguments(input, outDir, rungs, probe.fps, probe.hasAudio, probe.stream), {
      signal,
      onStdout: (chunk) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          const [key, value] = line.split('=', 2);
          if (key === 'out_time_us' && /^\d+$/.test(value)) current.outSeconds = Number(value) / 1e6;
          else if (key === 'frame' && /^\d+$/.test(value)) current.frames = Number(value);
          else if (key === 'progress') onProgress({ ...current });
        }
      },
    });
    if (signal.aborted) throw new Error('cancelled');
    if (r.code !== 0) throw new Error(`ffmpeg failed (${r.code}): ${lastLine(r.stderr)}`);
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

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}
