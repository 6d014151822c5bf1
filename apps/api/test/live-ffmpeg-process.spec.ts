import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg, runningFfmpegChildren, spawnFfmpeg } from '../src/common/ffmpeg-process';
import { FfmpegLiveEncoder } from '../src/live/ffmpeg-live-encoder';

/** The one place ffmpeg is started (common/ffmpeg-process.ts), on the machine's real ffmpeg. */
describe('starting ffmpeg (real ffmpeg)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'wp-ffmpeg-process-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to the end, collecting stdout and the tail of stderr; the running count goes back down', async () => {
    const before = runningFfmpegChildren();
    const running = runFfmpeg('ffmpeg', ['-hide_banner', '-version']);
    expect(runningFfmpegChildren()).toBe(before + 1);
    const r = await running;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ffmpeg version/);
    expect(runningFfmpegChildren()).toBe(before);
    const bad = await runFfmpeg('ffmpeg', ['-v', 'error', '-i', join(dir, 'missing.mp4')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/No such file/);
  });

  it('answers -1 for a binary that is not there (no throw), and kills a run past its timeout or on abort', async () => {
    expect(await runFfmpeg(join(dir, 'no-ffmpeg'), ['-version'])).toMatchObject({ code: -1, stderr: expect.stringMatching(/ENOENT/) });
    const endless = ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'anullsrc', '-f', 'null', '-'];
    const started = Date.now();
    expect((await runFfmpeg('ffmpeg', endless, { timeoutMs: 300 })).code).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    expect((await runFfmpeg('ffmpeg', endless, { signal: abort.signal })).code).toBeNull();
    expect(runningFfmpegChildren()).toBe(0);
  });

  it('ignores a write to a child that has exited (EPIPE), instead of crashing the server', async () => {
    const child = spawnFfmpeg('ffmpeg', ['-v', 'error', '-f', 'nonsense', '-i', 'pipe:0', '-f', 'null', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    await new Promise((resolve) => child.on('close', resolve));
    child.stdin.write(Buffer.alloc(1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(child.exitCode).not.toBe(0);
  });

  it('joins recording parts and grabs a thumbnail through it (the live encoder)', async () => {
    const encoder = new FfmpegLiveEncoder('ffmpeg');
    const parts = [1, 2].map((n) => join(dir, `rec_${n}.ts`));
    for (const part of parts) {
      const r = await runFfmpeg('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=10', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-f', 'mpegts', part]);
      expect(r.code).toBe(0);
    }
    const output = join(dir, 'recording.mp4');
    await encoder.joinRecording(parts, output);
    const probe = await runFfmpeg('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', output]);
    expect(Number(probe.stdout)).toBeGreaterThan(1.5);
    expect(await encoder.grabThumbnail(parts[0], join(dir, 'thumb.jpg'))).toBe(true);
    await expect(encoder.joinRecording([join(dir, 'missing.ts')], join(dir, 'x.mp4'))).rejects.toThrow(/^ffmpeg 1/);
    expect(await encoder.grabThumbnail(join(dir, 'missing.ts'), join(dir, 'thumb2.jpg'))).toBe(false);
  });
});
