import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function ffmpeg(args: string[], out: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not make a clip (apt-get install ffmpeg): ${r.stderr ?? r.error}`);
  return out;
}

/** The folders this test file's clips were made in: removed when the file's tests are done. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the system's temp dir, removed after the test file that made it (afterAll). */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

const clipDir = () => testTempDir('wp-clip-');

const target = (name: string) => join(clipDir(), name);

/**
 * A real H.264 (+AAC) clip made by ffmpeg from its test sources: `seconds` long, or exactly
 * `frames` frames when given; `fps` defaults to 30.
 */
export function makeClip(opts: { width: number; height: number; seconds?: number; frames?: number; fps?: number; audio?: boolean; name?: string }): string {
  const fps = opts.fps ?? 30;
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=${fps}`];
  if (opts.audio !== false) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  if (opts.frames !== undefined) args.push('-frames:v', String(opts.frames));
  if (opts.seconds !== undefined) args.push('-t', String(opts.seconds));
  // -r: ffmpeg would otherwise round an unusual rate such as 121 to a standard one.
  args.push('-r', String(fps), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p', '-g', String(fps));
  if (opts.audio !== false) args.push('-c:a', 'aac', '-b:a', '64k');
  if (opts.audio !== false && opts.seconds === undefined) args.push('-shortest');
  args.push('-movflags', '+faststart');
  return ffmpeg(args, target(opts.name ?? 'clip.mp4'));
}

/** A still image (or an animation for .gif) in the format its name says. */
export function makePicture(name: string, width: number, height: number, frames = 1): string {
  return ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=10`, '-frames:v', String(frames)], target(name));
}

/**
 * A variable-frame-rate Matroska clip: `frames - 1` frames `gapSec` apart from 0, then one more
 * at `lastAtSec`. Padded to a constant rate it would be `lastAtSec` long at full rate.
 */
export function makeSparseClip(opts: { width: number; height: number; frames: number; gapSec: number; lastAtSec: number }): string {
  const last = opts.frames - 1;
  return ffmpeg(
    [
      '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=30`, '-frames:v', String(opts.frames),
      '-vf', `settb=1/1000,setpts='if(eq(N,${last}),${opts.lastAtSec}/TB,N*${opts.gapSec}/TB)'`,
      '-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p',
    ],
    target('sparse.mkv'),
  );
}

/**
 * A Matroska clip (H.264, no sound) with one text subtitle stream per entry of `tracks`, each
 * muxed from a SubRip file and tagged with its language and title when given.
 */
export function makeSubtitledClip(opts: { seconds: number; tracks: { srt: string; language?: string; title?: string }[] }): string {
  const dir = clipDir();
  const args = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30'];
  opts.tracks.forEach((t, i) => {
    const srt = join(dir, `track${i}.srt`);
    writeFileSync(srt, t.srt);
    args.push('-i', srt);
  });
  const maps = ['-map', '0:v', ...opts.tracks.flatMap((_, i) => ['-map', String(i + 1)])];
  const codecs = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p', '-t', String(opts.seconds), '-c:s', 'srt'];
  const tags = opts.tracks.flatMap((t, i) => [
    ...(t.language ? [`-metadata:s:s:${i}`, `language=${t.language}`] : []),
    ...(t.title ? [`-metadata:s:s:${i}`, `title=${t.title}`] : []),
  ]);
  return ffmpeg([...args, ...maps, ...codecs, ...tags], join(dir, 'subtitled.mkv'));
}
