import { spawn } from 'node:child_process';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Packager, type PackagerOptions, LiveEncoder } from './live-encoder';
import { LivePackager } from './live-packager';

/** Joining the parts copies streams (no encode): anything slower than this is stuck. */
const JOIN_TIMEOUT_MS = 10 * 60_000;

/** The live encoder on the machine's ffmpeg (FFMPEG_PATH). */
export class FfmpegLiveEncoder extends LiveEncoder {
  constructor(private readonly ffmpeg: string) {
    super();
  }

  startPackager(options: PackagerOptions): Packager {
    return new LivePackager(this.ffmpeg, options);
  }

  async joinRecording(parts: string[], output: string): Promise<void> {
    const list = join(dirname(output), 'recording.txt');
    await writeFile(list, parts.map((p) => `file '${p.replace(/'/g, "'\\''")}'`).join('\n'));
    const code = await run(this.ffmpeg, [
      '-v', 'error', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list,
      '-map', '0', '-c', 'copy', '-movflags', '+faststart', output,
    ]);
    if (code !== 0) throw new Error(`ffmpeg ${code}`);
  }

  async grabThumbnail(segment: string, output: string): Promise<boolean> {
    const tmp = `${output}.${process.pid}.tmp.jpg`;
    const code = await run(
      this.ffmpeg,
      ['-v', 'error', '-nostdin', '-y', '-i', segment, '-map', '0:v:0', '-frames:v', '1', '-vf', 'scale=320:-2', '-q:v', '5', tmp],
      THUMBNAIL_TIMEOUT_MS,
    );
    if (code !== 0) {
      await rm(tmp, { force: true });
      return false;
    }
    await rename(tmp, output);
    return true;
  }
}

/** A thumbnail is one small frame: anything slower than this is stuck. */
const THUMBNAIL_TIMEOUT_MS = 15_000;
/** The exit code; -1 when ffmpeg could not start. Killed (a real timer: an IO edge) when stuck. */
function run(ffmpeg: string, args: string[], timeoutMs = JOIN_TIMEOUT_MS): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(ffmpeg, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => resolve(-1));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
