import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hlsArguments, type LadderRung } from './ladder';
import { type ProbeResult, Transcoder } from './transcoder';

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
    opts.signal?.addEventListener('abort', kill, { once: true });
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

interface FfprobeOutput {
  streams?: { codec_type?: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; disposition?: { attached_pic?: number } }[];
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
    if (!video?.width || !video.height) return null;
    // A header can lie: make sure a frame actually decodes.
    const decode = await run(this.ffmpeg, ['-v', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-frames:v', '1', '-f', 'null', '-'], {
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (decode.code !== 0) return null;
    const duration = Number(info.format?.duration);
    return {
      durationSec: Number.isFinite(duration) && duration > 0 ? duration : null,
      width: video.width,
      height: video.height,
      fps: parseRate(video.avg_frame_rate) || parseRate(video.r_frame_rate) || 30,
      hasAudio: info.streams?.some((s) => s.codec_type === 'audio') ?? false,
    };
  }

  async transcodeHls(
    input: string,
    outDir: string,
    rungs: LadderRung[],
    probe: ProbeResult,
    onProgress: (outSeconds: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    await Promise.all(rungs.map((_, i) => mkdir(join(outDir, `v${i}`), { recursive: true })));
    let buffer = '';
    const r = await run(this.ffmpeg, hlsArguments(input, outDir, rungs, Math.min(probe.fps, 60), probe.hasAudio), {
      signal,
      onStdout: (chunk) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^out_time_us=(\d+)/.exec(line);
          if (m) onProgress(Number(m[1]) / 1e6);
        }
      },
    });
    if (signal.aborted) throw new Error('cancelled');
    if (r.code !== 0) throw new Error(`ffmpeg failed (${r.code}): ${lastLine(r.stderr)}`);
  }

  async poster(input: string, output: string, atSec: number): Promise<boolean> {
    const r = await run(
      this.ffmpeg,
      ['-v', 'error', '-nostdin', '-y', '-ss', atSec.toFixed(2), '-i', input, '-frames:v', '1', '-vf', 'scale=-2:360', '-q:v', '4', output],
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    return r.code === 0;
  }
}

function parseRate(rate: string | undefined): number {
  const [n, d] = (rate ?? '').split('/').map(Number);
  return n && d ? n / d : 0;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}
