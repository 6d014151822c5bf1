import { dirname, join } from 'node:path';
import { runFfmpeg } from '../common/ffmpeg-process';
import { type Packager, type PackagerOptions, LiveEncoder } from './live-encoder';
import { LivePackager } from './live-packager';
import { moveFile, removeFile, writeAtomically } from './live-storage';

/** Joining the parts copies streams (no encode): anything slower than this is stuck. */
export const JOIN_TIMEOUT_MS = 10 * 60_000;
/** A thumbnail is one small frame: anything slower than this is stuck. */
export const THUMBNAIL_TIMEOUT_MS = 15_000;

/** The live encoder on the machine's ffmpeg (FFMPEG_PATH), started through common/ffmpeg-process.ts. */
export class FfmpegLiveEncoder extends LiveEncoder {
  constructor(private readonly ffmpeg: string) {
    super();
  }

  startPackager(options: PackagerOptions): Packager {
    return new LivePackager(this.ffmpeg, options);
  }

  async joinRecording(parts: string[], output: string): Promise<void> {
    const list = join(dirname(output), 'recording.txt');
    await writeAtomically(list, parts.map((p) => `file '${p.replace(/'/g, "'\\''")}'`).join('\n'));
    const { code, stderr } = await runFfmpeg(
      this.ffmpeg,
      ['-v', 'error', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', '-movflags', '+faststart', output],
      { timeoutMs: JOIN_TIMEOUT_MS },
    );
    if (code !== 0) throw new Error(`ffmpeg ${code}${stderr ? `: ${stderr.trim().split('\n').pop() ?? ''}` : ''}`);
  }

  async grabThumbnail(segment: string, output: string): Promise<boolean> {
    const tmp = `${output}.${process.pid}.tmp.jpg`;
    const { code } = await runFfmpeg(
      this.ffmpeg,
      ['-v', 'error', '-nostdin', '-y', '-i', segment, '-map', '0:v:0', '-frames:v', '1', '-vf', 'scale=320:-2', '-q:v', '5', tmp],
      { timeoutMs: THUMBNAIL_TIMEOUT_MS },
    );
    if (code !== 0) {
      await removeFile(tmp);
      return false;
    }
    await moveFile(tmp, output);
    return true;
  }
}
