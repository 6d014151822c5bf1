import type { Media, SubtitleTrack, UploadedMedia } from '@watch-party/contracts';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { api, type ApiInstance, startApi } from './api-instance';
import { makeClip } from './clips';
import { type DeployedNginx, startDeployedNginx } from './nginx-deployed';

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; rawHeaders: string[]; body: Buffer };

/** One request with its body read, on a fresh socket; the path is sent exactly as written. */
function send(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Each header nginx may set from two sources (a replica's answer or a kept decision) is sent once. */
function expectEachHeaderOnce(r: Reply) {
  const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const name of ['content-type', 'cache-control', 'access-control-allow-origin', 'vary', 'x-content-type-options', 'cross-origin-resource-policy']) {
    expect(names.filter((n) => n === name).length).toBeLessThanOrEqual(1);
  }
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

async function upload(base: string, bytes: Buffer, name: string): Promise<UploadedMedia> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as UploadedMedia;
}

/** How long nginx may keep a decision in these tests (MEDIA_ACCEL_DECISION_SEC; shorter than the default, to wait less). */
const DECISION_SEC = 2;

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
  /** Every request URL that reached the API, in order. */
  const reached: string[] = [];
  const reachedFor = (path: string) => reached.filter((u) => u === path).length;
  /**
   * `path` reached the API once since `since` (Date.now()): its decision was kept. A machine so
   * loaded that the requests took longer than the validity may have asked once per period.
   */
  const expectDecidedOnce = (path: string, since: number) => {
    const periods = Math.floor((Date.now() - since) / (DECISION_SEC * 1000));
    if (periods === 0) expect(reachedFor(path)).toBe(1);
    else expect(reachedFor(path)).toBeLessThanOrEqual(1 + periods);
  };

  beforeAll(async () => {
    const clip = makeClip({ width: 320, height: 240, seconds: 4 });
    original = readFileSync(clip);
    rmSync(dirname(clip), { recursive: true, force: true });
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-nginx-media-dir-'));
    // nginx's workers run unprivileged, as in the image: the volume is readable by others.
    chmodSync(mediaDir, 0o755);
    srv = await startApi({
      MEDIA_DIR: mediaDir,
      MEDIA_ACCEL_REDIRECT: '/_media/',
      MEDIA_ACCEL_DECISION_SEC: String(DECISION_SEC),
      TRUST_PROXY: 'true',
      CORS_ORIGINS: 'https://party.example,https://watch.example',
    });
    srv.app.getHttpServer().on('request', (req: IncomingMessage) => reached.push(req.url ?? ''));
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
    expect(r.headers['x-accel-expires']).toBeUndefined();
    expect(r.headers['x-media-cache-control']).toBeUndefined();
    // the API's security headers still apply to the file
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expectEachHeaderOnce(r);
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
  it('the decision is kept: range requests for the same URI within MEDIA_ACCEL_DECISION_SEC reach the API once', async () => {
    // a URI nobody asked for yet: the original with a query of its own
    const path = `${item.fileUrl}?kept=1`;
    const since = Date.now();
    for (let i = 0; i < 8; i++) {
      const start = 1000 * i;
      const r = await send(lb, path, i % 2 ? 'GET' : 'HEAD', { range: `bytes=${start}-${start + 99}` });
      expect(r.status).toBe(206);
      expect(r.headers['content-range']).toBe(`bytes ${start}-${start + 99}/${original.length}`);
      expect(r.headers['content-type']).toBe('video/mp4');
      expect(r.headers['cache-control']).toBe('public, max-age=3600');
      expectEachHeaderOnce(r);
      if (i % 2) expect(r.body.equals(original.subarray(start, start + 100))).toBe(true);
      else expect(r.body.length).toBe(0);
    }
    expectDecidedOnce(path, since);
    // 304 and If-Range from the kept decision too, still without the API
    const etag = String((await send(lb, path, 'HEAD')).headers['etag']);
    expect((await send(lb, path, 'GET', { 'if-none-match': etag })).status).toBe(304);
    const stale = await send(lb, path, 'GET', { range: 'bytes=0-9', 'if-range': '"0-0"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(original)).toBe(true);
    expectDecidedOnce(path, since);
  });

  it('the decision expires: after MEDIA_ACCEL_DECISION_SEC the API is asked again', async () => {
    const path = `${item.fileUrl}?expires=1`;
    const since = Date.now();
    expect((await send(lb, path, 'GET', { range: 'bytes=0-9' })).status).toBe(206);
    expect((await send(lb, path, 'GET', { range: 'bytes=0-9' })).status).toBe(206);
    expectDecidedOnce(path, since);
    const asked = reachedFor(path);
    await new Promise((r) => setTimeout(r, DECISION_SEC * 1000 + 1100));
    expect((await send(lb, path, 'GET', { range: 'bytes=0-9' })).status).toBe(206);
    expect(reachedFor(path)).toBe(asked + 1);
  });

  it('a deleted item stops being served at once, and the API\'s own 404 is back within MEDIA_ACCEL_DECISION_SEC', async () => {
    const up = await upload(lb, original, 'short-lived.mp4');
    const path = `/api/media/${up.id}/file`;
    const decidedAt = Date.now();
    const first = await send(lb, path, 'GET', { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.body.equals(original.subarray(0, 100))).toBe(true);
    const deleted = await fetch(`${lb}/api/media/${up.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${up.ownerKey}` } });
    expect(deleted.status).toBe(204);
    const deletedAt = Date.now();
    // within the validity: the kept decision points at a file that is gone: nginx's JSON 404, never the bytes, never cached
    const gone = await send(lb, path, 'GET', { range: 'bytes=0-99' });
    // (on a machine so loaded that the decision has expired already, the API's own 404)
    expectJsonError(gone, 404, Date.now() - decidedAt < DECISION_SEC * 1000 ? 'no such file' : undefined);
    expect(gone.headers['cache-control']).toBeUndefined();
    // past it: the API decides again, and the item is unknown
    await new Promise((r) => setTimeout(r, Math.max(0, deletedAt + DECISION_SEC * 1000 + 1100 - Date.now())));
    const unknown = await send(lb, path, 'GET', { range: 'bytes=0-99' });
    expectJsonError(unknown, 404, 'media not found');
    expect(unknown.headers['cache-control']).toBeUndefined();
  });

  it('errors are never kept: each request for an unknown item or a name that is not ours reaches the API', async () => {
    const unknown = '/api/media/BBBBBBBBBBBBBBBBBBBBBB/file';
    const notOurs = `/api/media/${item.id}/hls/v0/notours.txt`;
    for (let i = 0; i < 3; i++) {
      expectJsonError(await send(lb, unknown), 404, 'media not found');
      expectJsonError(await send(lb, notOurs), 404);
    }
    // each one asked the API (the decision subrequest, then the route itself): never from a cache
    expect(reachedFor(unknown)).toBeGreaterThanOrEqual(3);
    expect(reachedFor(notOurs)).toBeGreaterThanOrEqual(3);
  });

  it('a kept decision for a segment not written yet: each 404 without Cache-Control, never immutable', async () => {
    const path = `/api/media/${item.id}/hls/v0/seg_88888.m4s`;
    const since = Date.now();
    for (let i = 0; i < 3; i++) {
      const r = await send(lb, path);
      expectJsonError(r, 404, 'no such file');
      expect(r.headers['cache-control']).toBeUndefined();
    }
    expectDecidedOnce(path, since);
  });

  it('no mixup: kept decisions stay with their item, their file and their Origin', async () => {
    const otherClip = makeClip({ width: 160, height: 120, seconds: 1, audio: false });
    const otherBytes = readFileSync(otherClip);
    rmSync(dirname(otherClip), { recursive: true, force: true });
    expect(otherBytes.equals(original)).toBe(false);
    const other = await upload(lb, otherBytes, 'other.mp4');
    const ours = `/api/media/${item.id}/file`;
    const theirs = `/api/media/${other.id}/file`;
    const n = 64;
    for (let i = 0; i < 3; i++) {
      const a = await send(lb, ours, 'GET', { range: `bytes=0-${n - 1}`, origin: 'https://party.example' });
      const b = await send(lb, theirs, 'GET', { range: `bytes=0-${n - 1}`, origin: 'https://watch.example' });
      const c = await send(lb, ours, 'GET', { range: `bytes=0-${n - 1}`, origin: 'https://elsewhere.example' });
      const d = await send(lb, item.posterUrl ?? '', 'GET', { origin: 'https://party.example' });
      expect(a.body.equals(original.subarray(0, n))).toBe(true);
      expect(a.headers['content-range']).toBe(`bytes 0-${n - 1}/${original.length}`);
      expect(a.headers['access-control-allow-origin']).toBe('https://party.example');
      expectEachHeaderOnce(a);
      expect(b.body.equals(otherBytes.subarray(0, n))).toBe(true);
      expect(b.headers['content-range']).toBe(`bytes 0-${n - 1}/${otherBytes.length}`);
      expect(b.headers['access-control-allow-origin']).toBe('https://watch.example');
      expect(c.body.equals(original.subarray(0, n))).toBe(true);
      expect(c.headers['access-control-allow-origin']).toBeUndefined();
      expect(d.headers['content-type']).toBe('image/jpeg');
      expect(d.body.equals(readFileSync(join(mediaDir, item.id, 'poster.jpg')))).toBe(true);
      expect(d.headers['access-control-allow-origin']).toBe('https://party.example');
    }
    await fetch(`${lb}/api/media/${other.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${other.ownerKey}` } });
  });
  it('several ranges at once: the whole file with one Content-Type, as the API sends it', async () => {
    const r = await send(lb, item.fileUrl, 'GET', { range: 'bytes=0-9,100-109' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('video/mp4');
    expect(r.body.equals(original)).toBe(true);
  });

  it('other methods on a file route reach the API as they are', async () => {
    const before = reachedFor(item.fileUrl);
    const post = await send(lb, item.fileUrl, 'POST');
    expectJsonError(post, 404);
    const preflight = await send(lb, item.fileUrl, 'OPTIONS', { origin: 'https://party.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://party.example');
    expect(reachedFor(item.fileUrl) - before).toBe(2);
  });

  it('nginx logged no crash and no critical error through all of this', () => {
    expect(nginx.output()).not.toMatch(/\[(alert|crit|emerg)\]|signal 11|count is zero/);
  });
});

/**
 * The moment an item changes between nginx's two questions (the decision refused, then a
 * replica's own answer is a redirect, e.g. a master playlist that has just become playable):
 * a scripted replica on loopback answers the decision 404 and the request itself with
 * X-Accel-Redirect. The client gets the file with the second answer's headers only.
 */
describe('media files through the deployed nginx: a decision refused, then given', () => {
  let replica: Server;
  let nginx: DeployedNginx;
  let mediaDir: string;
  const asked: string[] = [];

  beforeAll(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-nginx-media-dir-'));
    chmodSync(mediaDir, 0o755);
    mkdirSync(join(mediaDir, 'item1'), { mode: 0o755 });
    writeFileSync(join(mediaDir, 'item1', 'master.m3u8'), '#EXTM3U\n', { mode: 0o644 });
    replica = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      const cors = { 'Access-Control-Allow-Origin': 'https://party.example', Vary: 'Origin', 'X-Content-Type-Options': 'nosniff' };
      if (req.url !== '/api/media/item1/hls/master.m3u8') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'); // the load balancer's health check
      } else if (asked.filter((a) => a.endsWith('master.m3u8')).length === 1) {
        res.writeHead(404, { ...cors, 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"statusCode":404,"error":"Not Found","message":"not playable yet"}');
      } else {
        res.writeHead(200, {
          ...cors,
          'Content-Type': 'application/vnd.apple.mpegurl',
          'X-Media-Cache-Control': 'no-cache',
          'X-Accel-Redirect': '/_media/item1/master.m3u8',
          'X-Accel-Expires': '0',
          'Content-Length': '0',
        });
        res.end();
      }
    });
    await new Promise<void>((r) => replica.listen(0, '127.0.0.1', () => r()));
    const { port } = replica.address() as { port: number };
    nginx = await startDeployedNginx({ upstreams: [`127.0.0.1:${port}`], mediaDir });
  });
  afterAll(async () => {
    await nginx?.close();
    await new Promise((r) => replica?.close(r));
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('the file, with the redirecting answer\'s headers, each once', async () => {
    const r = await send(nginx.url, '/api/media/item1/hls/master.m3u8', 'GET', { origin: 'https://party.example' });
    expect(asked.filter((a) => a.endsWith('master.m3u8'))).toEqual(['GET /api/media/item1/hls/master.m3u8', 'GET /api/media/item1/hls/master.m3u8']);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('#EXTM3U\n');
    expect(r.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['access-control-allow-origin']).toBe('https://party.example');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expectEachHeaderOnce(r);
    expect(nginx.output()).not.toMatch(/\[(alert|crit|emerg)\]/);
  });
});
