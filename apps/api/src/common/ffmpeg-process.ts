import childProcess, { type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * The one place the API starts ffmpeg or ffprobe (the transcoder, the live packager, the live
 * recording join and thumbnails): argument building stays with each caller, what every child
 * gets is here. Its kill timers are real timers: a child process is an IO edge.
 */

/** Children started so far and still running (a gauge for tests and logs). */
let running = 0;

/**
 * Starts `command` (FFMPEG_PATH or FFPROBE_PATH) with `args`, exactly like `child_process.spawn`
 * (same overloads, so a caller's stream types are unchanged). A missing binary still surfaces as
 * the child's `error` event, never as a throw; a write to a child that exited is ignored (EPIPE).
 */
export const spawnFfmpeg = ((command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess => {
  const child = childProcess.spawn(command, args, { windowsHide: true, ...options });
  running++;
  let counted = true;
  const done = () => {
    if (counted) running--;
    counted = false;
  };
  child.once('error', done);
  child.once('close', done);
  child.stdin?.on('error', () => undefined);
  return child;
}) as typeof childProcess.spawn;

/** ffmpeg/ffprobe children of this process that have not exited yet. */
export function runningFfmpegChildren(): number {
  return running;
}

/** Output kept from a run: stdout up to this many characters (ffprobe JSON), stderr's tail. */
export const RUN_STDOUT_MAX_CHARS = 1_000_000;
export const RUN_STDERR_TAIL_CHARS = 4000;

export interface FfmpegRunResult {
  /** The exit code; -1 when the binary could not start; null when killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface FfmpegRunOptions {
  /** Killed (SIGKILL) when aborted. */
  signal?: AbortSignal;
  /** Killed (SIGKILL) after this long. */
  timeoutMs?: number;
  /** Streams stdout to the caller instead of collecting it (ffmpeg `-progress pipe:1`). */
  onStdout?: (chunk: string) => void;
}

/** Runs a command to its end with no input, collecting its output; never rejects. */
export function runFfmpeg(command: string, args: string[], opts: FfmpegRunOptions = {}): Promise<FfmpegRunResult> {
  return new Promise((resolve) => {
    const child = spawnFfmpeg(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    const timer = opts.timeoutMs ? setTimeout(kill, opts.timeoutMs) : undefined;
    if (opts.signal?.aborted) kill();
    else opts.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      if (opts.onStdout) opts.onStdout(s);
      else if (stdout.length < RUN_STDOUT_MAX_CHARS) stdout += s;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-RUN_STDERR_TAIL_CHARS);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
      resolve({ code, stdout, stderr });
    });
  });
}
