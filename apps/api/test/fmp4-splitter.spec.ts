import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fmp4Fragment, type Fmp4Init, Fmp4Splitter } from '../src/live/fmp4-splitter';

/** What the live packager's WebSocket output is: fragmented MP4 on a pipe, 500 ms fragments. */
function fmp4(seconds: number, video: boolean): Buffer {
  const out = spawnSync(
    'ffmpeg',
    [
      '-v', 'error', '-nostdin',
      ...(video ? ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30'] : []),
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      ...(video ? ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '60', '-keyint_min', '1', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,n_forced*1)', '-pix_fmt', 'yuv420p'] : []),
      '-c:a', 'aac', '-flags', '+global_header',
      '-f', 'mp4', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '500000', 'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`ffmpeg failed: ${out.stderr.toString()}`);
  return out.stdout;
}

function split(stream: Buffer, chunk: number) {
  const inits: Fmp4Init[] = [];
  const fragments: Fmp4Fragment[] = [];
  const s = new Fmp4Splitter((i) => inits.push(i), (f) => fragments.push(f));
  for (let at = 0; at < stream.length; at += chunk) s.push(stream.subarray(at, at + chunk));
  return { inits, fragments, failed: s.failed };
}

describe('the fMP4 splitter on real ffmpeg output', () => {
  it('video + audio: one init with RFC 6381 codecs, 500 ms fragments, keyframes where the 1 s GOPs start; the pieces play', () => {
    const stream = fmp4(4, true);
    const { inits, fragments, failed } = split(stream, 1000);
    expect(failed).toBeNull();
    expect(inits).toHaveLength(1);
    expect(inits[0].codecs).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
    expect(fragments.length).toBeGreaterThanOrEqual(7);
    expect(fragments[0].keyframe).toBe(true);
    const keyframes = fragments.filter((f) => f.keyframe).length;
    expect(keyframes).toBeGreaterThanOrEqual(3); // one per second
    expect(keyframes).toBeLessThan(fragments.length); // the 500 ms cuts inside a GOP are not
    // A viewer joining at the second keyframe: init + fragments from there decode cleanly.
    const from = fragments.findIndex((f, i) => i > 0 && f.keyframe);
    const dir = mkdtempSync(join(tmpdir(), 'wp-fmp4-'));
    try {
      const file = join(dir, 'joined.mp4');
      writeFileSync(file, Buffer.concat([inits[0].data, ...fragments.slice(from).map((f) => f.data)]));
      execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('audio only: mp4a codecs, every fragment is a starting point', () => {
    const { inits, fragments, failed } = split(fmp4(3, false), 333);
    expect(failed).toBeNull();
    expect(inits[0].codecs).toBe('mp4a.40.2');
    expect(fragments.length).toBeGreaterThanOrEqual(4);
    expect(fragments.every((f) => f.keyframe)).toBe(true);
  });
});
