import type { UploadedMedia } from '@watch-party/contracts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ApiInstance, startApi } from './api-instance';
import { makeClip } from './clips';

/** One request with its body read, on a fresh socket; the path is sent exactly as written. */
function send(base: string, path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function expectJson404(r: { status: number; headers: Record<string, unknown>; body: Buffer }) {
  expect(r.status).toBe(404);
  expect(r.headers['x-accel-redirect']).toBeUndefined();
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
}

describe('media file routes with MEDIA_ACCEL_REDIRECT: the API checks, nginx sends', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let item: UploadedMedia;

  beforeAll(async () => {
    const clip = makeClip({ width: 160, height: 120, seconds: 1, audio: false, name: 'holiday.mp4' });
    const bytes = readFileSync(clip);
    rmSync(dirname(clip), { recursive: true, force: true });
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-accel-media-'));
    // Without ffmpeg an upload is kept and served as a file: no transcode needed here.
    srv = await startApi({ MEDIA_DIR: mediaDir, MEDIA_ACCEL_REDIRECT: '/_media/', FFMPEG_PATH: '/nonexistent/ffmpeg', FFPROBE_PATH: '/nonexistent/ffprobe' });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'holiday.mp4');
    const res = await fetch(`${srv.url}/api/media`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    item = (await res.json()) as UploadedMedia;
  });
  afterAll(async () => {
    await srv.close();
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('the original: X-Accel-Redirect to its path under MEDIA_DIR, its Content-Type and caching, no body', async () => {
    const r = await send(srv.url, `/api/media/${item.id}/file`, 'GET', { range: 'bytes=0-9', 'if-none-match': '"x"' });
    expect(r.status).toBe(200);
    expect(r.headers['x-accel-redirect']).toBe(`/_media/${item.id}/original.mp4`);
    expect(r.headers['content-type']).toBe('video/mp4');
    // for nginx to send on success only (docker/nginx/media.compose.conf)
    expect(r.headers['x-media-cache-control']).toBe('public, max-age=3600');
    expect(r.headers['cache-control']).toBeUndefined();
    // Range, validators and 304 are nginx's business for the file itself.
    expect(r.headers['content-range']).toBeUndefined();
    expect(r.headers['etag']).toBeUndefined();
    expect(r.headers['content-length']).toBe('0');
    expect(r.body.length).toBe(0);
  });

  it('a percent-encoded id is the same item, as on any route; a malformed one is refused as JSON', async () => {
    const encoded = `%${item.id.charCodeAt(0).toString(16).toUpperCase()}${item.id.slice(1)}`;
    const r = await send(srv.url, `/api/media/${encoded}/file`);
    expect(r.status).toBe(200);
    expect(r.headers['x-accel-redirect']).toBe(`/_media/${item.id}/original.mp4`);
    const bad = await send(srv.url, `/api/media/%E0%A4%A/file`);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(bad.headers['x-accel-redirect']).toBeUndefined();
    expect(String(bad.headers['content-type'])).toMatch(/^application\/json/);
  });

  it('HEAD answers the same redirect', async () => {
    const r = await send(srv.url, `/api/media/${item.id}/file`, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['x-accel-redirect']).toBe(`/_media/${item.id}/original.mp4`);
    expect(r.body.length).toBe(0);
  });

  it('HLS names are checked before any redirect; VOD files get their own type and caching', async () => {
    const seg = await send(srv.url, `/api/media/${item.id}/hls/v0/seg_00003.m4s`);
    expect(seg.headers['x-accel-redirect']).toBe(`/_media/${item.id}/hls/v0/seg_00003.m4s`);
    expect(seg.headers['content-type']).toBe('video/iso.segment');
    expect(seg.headers['x-media-cache-control']).toBe('public, max-age=31536000, immutable');
    const playlist = await send(srv.url, `/api/media/${item.id}/hls/v1/index.m3u8`);
    expect(playlist.headers['x-accel-redirect']).toBe(`/_media/${item.id}/hls/v1/index.m3u8`);
    expect(playlist.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers['x-media-cache-control']).toBe('no-cache');
    // Not transcoded (no ffmpeg): the master is refused by the route's own check.
    expectJson404(await send(srv.url, `/api/media/${item.id}/hls/master.m3u8`));
    // No poster without ffmpeg either.
    expectJson404(await send(srv.url, `/api/media/${item.id}/poster.jpg`));
  });

  it.each([
    ['an unknown id', () => `/api/media/AAAAAAAAAAAAAAAAAAAAAA/file`],
    ['an invalid id', () => `/api/media/not-an-id!/file`],
    ['an unknown subtitle track', () => `/api/media/${item.id}/subtitles/AAAAAAAAAAAAAAAAAAAAAA.vtt`],
    ['encoded traversal in a variant', () => `/api/media/${item.id}/hls/..%2F..%2F/original.mp4`],
    ['encoded traversal in a file name', () => `/api/media/${item.id}/hls/v0/..%2F..%2F..%2Fetc%2Fpasswd`],
    ['a dot file', () => `/api/media/${item.id}/hls/v0/.m4s`],
    ['a name that is not ours', () => `/api/media/${item.id}/hls/v0/seg_1.ts`],
    ['a variant that is not ours', () => `/api/media/${item.id}/hls/x0/index.m3u8`],
  ])('%s: the JSON 404, never a redirect', async (_what, path) => {
    expectJson404(await send(srv.url, path()));
  });
});
