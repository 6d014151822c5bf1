import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real H.264 (+AAC) clip made by ffmpeg from its test sources. */
export function makeClip(opts: { width: number; height: number; seconds: number; audio?: boolean; name?: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-clip-'));
  const out = join(dir, opts.name ?? 'clip.mp4');
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=30`];
  if (opts.audio !== false) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(opts.seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p', '-g', '30');
  if (opts.audio !== false) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push('-movflags', '+faststart', out);
  const r = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not make a clip (apt-get install ffmpeg): ${r.stderr ?? r.error}`);
  return out;
}
