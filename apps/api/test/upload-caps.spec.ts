import type { Media, UploadedMedia } from '@watch-party/contracts';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { MediaService } from '../src/media/media.service';
import { api, type ApiInstance, startApi } from './api-instance';
import { makeClip, makePicture, makeSparseClip } from './clips';
import { refusalCount } from './built-replica';

async function upload(base: string, file: string) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as UploadedMedia & { message?: string; error?: string } };
}

/** A test API with its own DATA_DIR and MEDIA_DIR. */
async function instance(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wp-caps-'));
  const mediaDir = join(dir, 'media');
  const srv = await startApi({ DATA_DIR: join(dir, 'data'), MEDIA_DIR: mediaDir, UPLOADS_PER_HOUR: '1000', ...env });
  return {
    srv,
    mediaDir,
    close: async () => {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('source caps: every refusal is a 415 naming the cap, with nothing kept', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ srv, mediaDir, close } = await instance());
  });
  afterAll(() => close());

  /** Uploads `file`, expects 415 with `message`, one more `reason` refusal, and no trace on disk. */
  async function refused(file: string, reason: string, message: RegExp) {
    const before = await refusalCount(srv.url, reason);
    const items = (await api<Media[]>(srv.url, '/api/media')).body.length;
    const res = await upload(srv.url, file);
    expect([res.status, res.body.message]).toEqual([415, expect.stringMatching(message)]);
    expect(res.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    expect(await refusalCount(srv.url, reason)).toBe(before + 1);
    expect((await api<Media[]>(srv.url, '/api/media')).body).toHaveLength(items);
    expect(readdirSync(join(mediaDir, '.incoming'))).toEqual([]);
    return res;
  }

  /** Uploads `file`, expects 201, then deletes the item again and waits until its folder is gone. */
  async function accepted(file: string) {
    const res = await upload(srv.url, file);
    expect([res.status, res.body.message]).toEqual([201, undefined]);
    const del = await fetch(`${srv.url}/api/media/${res.body.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${res.body.ownerKey}` } });
    expect(del.status).toBe(204);
    for (let i = 0; i < 50 && readdirSync(mediaDir).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(mediaDir)).toEqual(['.incoming']);
    return res.body;
  }

  it('refuses pictures: a PNG, and an animated GIF however many frames it has', async () => {
    await refused(makePicture('still.png', 320, 240), 'media_not_video', /not a video: its picture is png, an image format/);
    await refused(makePicture('anim.gif', 64, 48, 12), 'media_not_video', /not a video: its picture is gif, an image format/);
  }, 30_000);

  it('refuses a video of one frame, accepts one of two', async () => {
    await refused(makeClip({ width: 320, height: 240, frames: 1, audio: false, name: 'one.mp4' }), 'media_not_video', /not a video: it has 1 video frame; a video has at least 2/);
    await accepted(makeClip({ width: 320, height: 240, frames: 2, audio: false, name: 'two.mp4' }));
  }, 30_000);

  it('refuses more than 4096 px on a side, either way, and accepts 4096', async () => {
    await refused(makeClip({ width: 4098, height: 64, frames: 3, audio: false }), 'media_too_large_frame', /^video is 4098x64; the limit is 4096 px on a side \(MAX_VIDEO_SIDE_PX\)$/);
    await refused(makeClip({ width: 64, height: 4098, frames: 3, audio: false }), 'media_too_large_frame', /^video is 64x4098; the limit is 4096 px on a side \(MAX_VIDEO_SIDE_PX\)$/);
    await accepted(makeClip({ width: 4096, height: 64, frames: 3, audio: false }));
  }, 30_000);

  it('refuses above 120 fps and accepts 120', async () => {
    await refused(makeClip({ width: 160, height: 120, fps: 121, seconds: 1, audio: false }), 'media_fps', /^video is 121 fps; the limit is 120 fps \(MAX_VIDEO_FPS\)$/);
    await accepted(makeClip({ width: 160, height: 120, fps: 120, seconds: 1, audio: false }));
  }, 30_000);

  it('refuses the 3-frame bomb whose last frame sits at 10 hours (duration above MAX_MEDIA_SECONDS)', async () => {
    const bomb = makeSparseClip({ width: 320, height: 240, frames: 3, gapSec: 1 / 60, lastAtSec: 36_000 });
    await refused(bomb, 'media_too_long', /^video is 36000\.\d+ s long; the limit is 21600 s \(MAX_MEDIA_SECONDS\)$/);
  }, 30_000);

  it('applies the same caps to live recordings imported as media', async () => {
    const media = srv.app.get(MediaService);
    const before = await refusalCount(srv.url, 'media_not_video');
    await expect(media.importFile(makeClip({ width: 320, height: 240, frames: 1, audio: false }), 'show')).rejects.toMatchObject({
      status: 415,
      message: expect.stringMatching(/it has 1 video frame/),
    });
    await expect(media.importFile(makeClip({ width: 4098, height: 64, frames: 3, audio: false }), 'show')).rejects.toMatchObject({ status: 415 });
    expect(await refusalCount(srv.url, 'media_not_video')).toBe(before + 1);
  }, 30_000);
});

describe('MAX_MEDIA_SECONDS', () => {
  it('refuses one second past the cap and accepts a video at it', async () => {
    const { srv, mediaDir, close } = await instance({ MAX_MEDIA_SECONDS: '5' });
    try {
      const long = await upload(srv.url, makeClip({ width: 160, height: 120, fps: 10, seconds: 6, audio: false }));
      expect([long.status, long.body.message]).toEqual([415, 'video is 6 s long; the limit is 5 s (MAX_MEDIA_SECONDS)']);
      expect(await refusalCount(srv.url, 'media_too_long')).toBe(1);
      expect(readdirSync(mediaDir)).toEqual(['.incoming']);
      const atCap = await upload(srv.url, makeClip({ width: 160, height: 120, fps: 10, seconds: 5, audio: false }));
      expect(atCap.status).toBe(201);
      expect(atCap.body.durationSec).toBe(5);
    } finally {
      await close();
    }
  }, 30_000);
});
