import type { Media, MediaProgress } from '@watch-party/contracts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { api, type ApiInstance, connect, partyWith, startApi } from './api-instance';
import { makeClip, makeSparseClip } from './clips';
import { refusalCount } from './built-replica';

async function upload(base: string, file: string) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Media & { message?: string } };
}

async function waitFor(base: string, id: string, until: (m: Media) => boolean, ms: number): Promise<Media> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = (await api<Media>(base, `/api/media/${id}`)).body;
    if (until(m)) return m;
    if (Date.now() > deadline) throw new Error(`media ${id} never reached the state: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ffmpegRunningOn = (dir: string) => spawnSync('pgrep', ['-f', dir]).status === 0;

async function instance(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'wp-transcode-'));
  const mediaDir = join(dir, 'media');
  const srv = await startApi({ DATA_DIR: join(dir, 'data'), MEDIA_DIR: mediaDir, UPLOADS_PER_HOUR: '1000', ...env });
  return { srv, mediaDir, close: () => srv.close().finally(() => rmSync(dir, { recursive: true, force: true })) };
}

describe('encoding follows the frames a file really has', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ srv, mediaDir, close } = await instance({}));
  });
  afterAll(() => close());

  it('a sparse file (frames at 0, 1/60 s and 1 h) becomes two segments in a moment, not 1,800 of padding', async () => {
    const bomb = makeSparseClip({ width: 320, height: 240, frames: 3, gapSec: 1 / 60, lastAtSec: 3600 });
    const started = Date.now();
    const res = await upload(srv.url, bomb);
    expect(res.status).toBe(201);
    expect(res.body.durationSec).toBeCloseTo(3600, 0);
    const ready = await waitFor(srv.url, res.body.id, (m) => m.status !== 'processing', 30_000);
    const seconds = (Date.now() - started) / 1000;
    expect(ready.status).toBe('ready');
    const variant = await (await fetch(`${srv.url}/api/media/${ready.id}/hls/v0/index.m3u8`)).text();
    const segments = variant.split('\n').filter((l) => l.startsWith('#EXTINF'));
    console.log(`3 frames over 3600 s: ${segments.length} segments, ready in ${seconds.toFixed(1)} s`);
    expect(segments.length).toBeLessThanOrEqual(3);
    expect(readdirSync(join(mediaDir, ready.id, 'hls', 'v0')).filter((f) => f.endsWith('.m4s')).length).toBeLessThanOrEqual(3);
    expect(seconds).toBeLessThan(20);
  }, 60_000);

  it('reports progress strictly between 0 and 1 while a variable-frame-rate file encodes', async () => {
    // 300 frames in the first 0.3 s, then one at 600 s: the output clock says ~0 until the end.
    const sparse = makeSparseClip({ width: 854, height: 480, frames: 300, gapSec: 0.001, lastAtSec: 600 });
    const { host } = await partyWith(srv.url, []);
    const { socket } = await connect(srv.url, host.token);
    const seen: MediaProgress[] = [];
    socket.on('media:progress', (p) => seen.push(p));
    try {
      const res = await upload(srv.url, sparse);
      expect(res.status).toBe(201);
      const ready = await waitFor(srv.url, res.body.id, (m) => m.status !== 'processing', 60_000);
      expect(ready.status).toBe('ready');
      const mine = seen.filter((p) => p.id === ready.id).map((p) => p.progress);
      console.log(`progress seen for the sparse file: ${mine.join(', ')}`);
      expect(mine.some((p) => p > 0 && p < 1)).toBe(true);
      expect(mine[mine.length - 1]).toBe(1);
    } finally {
      socket.close();
    }
  }, 90_000);
});

describe('transcode timeout', () => {
  it('stops a job past max(TRANSCODE_TIMEOUT_MIN_SEC, factor x duration), marks it failed, and runs the next', async () => {
    const { srv, mediaDir, close } = await instance({ TRANSCODE_TIMEOUT_MIN_SEC: '1', TRANSCODE_TIMEOUT_FACTOR: '1', TRANSCODE_CONCURRENCY: '1' });
    try {
      // One second of 1080p at 120 fps: a ladder of three rungs takes far longer than 1 s.
      const slow = await upload(srv.url, makeClip({ width: 1920, height: 1080, fps: 120, seconds: 1, audio: false }));
      const next = await upload(srv.url, makeClip({ width: 160, height: 120, fps: 10, seconds: 8, audio: false }));
      expect([slow.status, next.status]).toEqual([201, 201]);

      const failed = await waitFor(srv.url, slow.body.id, (m) => m.status !== 'processing', 30_000);
      expect(failed).toMatchObject({ status: 'failed', hlsUrl: null, error: expect.stringMatching(/stopped after 1 s.*TRANSCODE_TIMEOUT_MIN_SEC/) });
      expect(ffmpegRunningOn(join(mediaDir, slow.body.id))).toBe(false);
      expect(existsSync(join(mediaDir, slow.body.id, 'hls'))).toBe(false);
      expect((await fetch(`${srv.url}${failed.fileUrl}`)).status).toBe(200);
      expect(await refusalCount(srv.url, 'transcode_timeout')).toBe(1);

      const done = await waitFor(srv.url, next.body.id, (m) => m.status !== 'processing', 30_000);
      expect(done.status).toBe('ready');
    } finally {
      await close();
    }
  }, 90_000);
});
