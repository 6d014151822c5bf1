import type { Media, SubtitleTrack, UploadedMedia } from '@watch-party/contracts';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { api, type ApiInstance, startApi } from './api-instance';
import { makeClip } from './clips';
import { type DeployedNginx, startDeployedNginx } from './nginx-deployed';

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** One request with its body read, on a fresh socket; the path is sent exactly as written. */
function send(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
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

function expectJsonError(r: Reply, status: number, message?: string) {
  expect(r.status).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: status, error: expect.any(String), message: message ?? expect.any(String) });
}

async function waitReady(base: string, id: string, ms = 90_000): Promise<Media> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = (await api<Media>(base, `/api/media/${id}`)).body;
    if (m.status === 'ready') return m;
    if (m.status === 'failed' || Date.now() > deadline) throw new Error(`media ${id} did not become ready: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The deployment's file path with real parts: Debian's nginx with docker/nginx/nginx.conf and
 * media.compose.conf (alias moved to a temp MEDIA_DIR) in front of a real API with
 * MEDIA_ACCEL_REDIRECT=/_media/, a clip transcoded by real ffmpeg.
 */
describe('media files through the deployed nginx (X-Accel-Redirect)', () => {
  let srv: ApiInstance;
  let nginx: DeployedNginx;
  let mediaDir: string;
  let original: Buffer;
  let item: Media;
  let ownerKey: string;
  let lb: string;

  beforeAll(async () => {
    const clip = makeClip({ width: 320, height: 240, seconds: 4 });
    original = readFileSync(clip);
    rmSync(dirname(clip), { recursive: true, force: true });
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-nginx-media-dir-'));
    // nginx's workers run unprivileged, as in the image: the volume is readable by others.
    chmodSync(mediaDir, 0o755);
    srv = await startApi({ MEDIA_DIR: mediaDir, MEDIA_ACCEL_REDIRECT: '/_media/', TRUST_PROXY: 'true', CORS_ORIGINS: 'https://party.example' });
    nginx = await startDeployedNginx({ upstreams: [new URL(srv.url).host], mediaDir });
    lb = nginx.url;
    // The upload goes through nginx too (streamed to the API).
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(original)]), 'trip.mp4');
    const res = await fetch(`${lb}/api/media`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const uploaded = (await res.json()) as UploadedMedia;
    ownerKey = uploaded.ownerKey;
    item = await waitReady(lb, uploaded.id);
  }, 120_000);
  afterAll(async () => {
    await nginx?.close();
    await srv?.close();
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('the whole original: 200, the bytes, the API\'s Content-Type and Cache-Control, nginx\'s validators', async () => {
    const r = await send(lb, item.fileUrl);
    expect(r.status).toBe(200);
    expect(r.body.equals(original)).toBe(true);
    expect(r.headers['content-type']).toBe('video/mp4');
    expect(r.headers['cache-control']).toBe('public, max-age=3600');
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-length']).toBe(String(original.length));
    // nginx's validators (mtime s - size), not the API's (size - mtime ns): nginx sent the bytes
    const info = statSync(join(mediaDir, item.id, 'original.mp4'));
    expect(r.headers['etag']).toBe(`"${Math.floor(info.mtimeMs / 1000).toString(16)}-${info.size.toString(16)}"`);
    expect(r.headers['last-modified']).toBe(new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString());
    // the handover stays between the API and nginx
    expect(r.headers['x-accel-redirect']).toBeUndefined();
    expect(r.headers['x-media-cache-control']).toBeUndefined();
    // the API's security headers still apply to the file
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('CORS: an allowed origin gets the API\'s Access-Control-Allow-Origin on the file nginx sends', async () => {
    const r = await send(lb, item.fileUrl, 'GET', { origin: 'https://party.example', range: 'bytes=0-1' });
    expect(r.status).toBe(206);
    expect(r.headers['access-control-allow-origin']).toBe('https://party.example');
    const other = await send(lb, item.fileUrl, 'GET', { origin: 'https://elsewhere.example', range: 'bytes=0-1' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('Range: 206 with exactly the bytes asked for; suffix ranges; 416 outside the file', async () => {
    const r = await send(lb, item.fileUrl, 'GET', { range: 'bytes=1000-66535' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 1000-66535/${original.length}`);
    expect(r.headers['content-type']).toBe('video/mp4');
    expect(r.body.equals(original.subarray(1000, 66536))).toBe(true);
    const tail = await send(lb, item.fileUrl, 'GET', { range: 'bytes=-100' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(original.subarray(original.length - 100))).toBe(true);
    const outside = await send(lb, item.fileUrl, 'GET', { range: `bytes=${original.length + 10}-` });
    expect(outside.status).toBe(416);
    expect(outside.headers['content-range']).toBe(`bytes */${original.length}`);
    expectJsonError(outside, 416);
  });

  it('the ETag is stable; If-None-Match and If-Modified-Since give 304 without a body, with the caching', async () => {
    const a = await send(lb, item.fileUrl, 'HEAD');
    const b = await send(lb, item.fileUrl, 'HEAD');
    expect(a.headers['etag']).toBeDefined();
    expect(b.headers['etag']).toBe(a.headers['etag']);
    expect(b.headers['last-modified']).toBe(a.headers['last-modified']);
    const etag = String(a.headers['etag']);
    const cached = await send(lb, item.fileUrl, 'GET', { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);
    expect(cached.headers['etag']).toBe(etag);
    expect(cached.headers['cache-control']).toBe('public, max-age=3600');
    const byDate = await send(lb, item.fileUrl, 'GET', { 'if-modified-since': String(a.headers['last-modified']) });
    expect(byDate.status).toBe(304);
    const changed = await send(lb, item.fileUrl, 'GET', { 'if-none-match': '"something-else"', range: 'bytes=0-9' });
    expect(changed.status).toBe(206);
    expect(changed.body.equals(original.subarray(0, 10))).toBe(true);
  });

  it('If-Range: the range only for the current ETag, else the whole file', async () => {
    const etag = String((await send(lb, item.fileUrl, 'HEAD')).headers['etag']);
    const same = await send(lb, item.fileUrl, 'GET', { range: 'bytes=0-99', 'if-range': etag });
    expect(same.status).toBe(206);
    expect(same.body.length).toBe(100);
    const stale = await send(lb, item.fileUrl, 'GET', { range: 'bytes=0-99', 'if-range': '"0-0"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(original)).toBe(true);
  });

  it('HEAD: the headers of the file, no body', async () => {
    const r = await send(lb, item.fileUrl, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(original.length));
    expect(r.headers['content-type']).toBe('video/mp4');
    expect(r.body.length).toBe(0);
  });

  it('HLS from the volume: playlists no-cache, segments immutable, each with its type; the poster', async () => {
    expect(item.hlsUrl).not.toBeNull();
    const master = await send(lb, item.hlsUrl ?? '');
    expect(master.status).toBe(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.headers['cache-control']).toBe('no-cache');
    expect(master.body.toString()).toMatch(/^#EXTM3U/);
    expect(master.body.equals(readFileSync(join(mediaDir, item.id, 'hls/master.m3u8')))).toBe(true);
    const variant = await send(lb, `/api/media/${item.id}/hls/v0/index.m3u8`);
    expect(variant.status).toBe(200);
    const segment = /^(seg_\d+\.m4s)$/m.exec(variant.body.toString())?.[1];
    expect(segment).toBeDefined();
    const seg = await send(lb, `/api/media/${item.id}/hls/v0/${segment}`);
    expect(seg.status).toBe(200);
    expect(seg.headers['content-type']).toBe('video/iso.segment');
    expect(seg.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(seg.body.equals(readFileSync(join(mediaDir, item.id, 'hls/v0', segment ?? '')))).toBe(true);
    const poster = await send(lb, item.posterUrl ?? '');
    expect(poster.status).toBe(200);
    expect(poster.headers['content-type']).toBe('image/jpeg');
  });

  it('a subtitle track added through nginx is sent from the volume as WebVTT', async () => {
    const form = new FormData();
    form.append('label', 'English');
    form.append('file', new Blob(['1\n00:00:01,000 --> 00:00:02,000\nHello through nginx\n']), 'en.srt');
    const added = await fetch(`${lb}/api/media/${item.id}/subtitles`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${ownerKey}` } });
    expect(added.status).toBe(201);
    const track = (await added.json()) as SubtitleTrack;
    const r = await send(lb, track.url);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/vtt; charset=utf-8');
    expect(r.body.toString()).toMatch(/^WEBVTT[\s\S]*Hello through nginx/);
  });

  it('errors are the API\'s JSON: unknown item, names that are not ours; the internal location is not reachable', async () => {
    expectJsonError(await send(lb, '/api/media/AAAAAAAAAAAAAAAAAAAAAA/file'), 404, 'media not found');
    expectJsonError(await send(lb, `/api/media/${item.id}/hls/v0/..%2F..%2Foriginal.mp4`), 404);
    expectJsonError(await send(lb, `/api/media/${item.id}/hls/v9/seg_99999.m4s`), 404);
    // a client naming the internal location itself: nginx's JSON 404, not the file
    expectJsonError(await send(lb, `/_media/${item.id}/original.mp4`), 404, 'no such file');
  });

  it('a file gone after the API\'s check (deleted on the volume): JSON 404 from nginx', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(original)]), 'gone.mp4');
    const up = (await (await fetch(`${lb}/api/media`, { method: 'POST', body: form })).json()) as UploadedMedia;
    unlinkSync(join(mediaDir, up.id, 'original.mp4'));
    const gone = await send(lb, `/api/media/${up.id}/file`);
    expectJsonError(gone, 404, 'no such file');
    // never cached: the API's caching applies to the file only
    expect(gone.headers['cache-control']).toBeUndefined();
    // a segment not written yet is no different: no `immutable` 404
    const early = await send(lb, `/api/media/${item.id}/hls/v0/seg_99999.m4s`);
    expectJsonError(early, 404, 'no such file');
    expect(early.headers['cache-control']).toBeUndefined();
    await fetch(`${lb}/api/media/${up.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${up.ownerKey}` } });
  });

  it('a file nginx may not read (volume permissions): JSON 500, never the bytes', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(original)]), 'locked.mp4');
    const up = (await (await fetch(`${lb}/api/media`, { method: 'POST', body: form })).json()) as UploadedMedia;
    const path = join(mediaDir, up.id, 'original.mp4');
    chmodSync(path, 0o000);
    try {
      const r = await send(lb, `/api/media/${up.id}/file`);
      expectJsonError(r, 500, 'could not read the file');
      expect(r.headers['cache-control']).toBeUndefined();
    } finally {
      chmodSync(path, 0o644);
      await fetch(`${lb}/api/media/${up.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${up.ownerKey}` } });
    }
  });
});
