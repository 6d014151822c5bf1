import type { Media, MediaProgress, UploadedMedia } from '@watch-party/contracts';
import { execFile, spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { api, type ApiInstance, connect, partyWith, request, startApi } from './api-instance';
import { makeClip } from './clips';

async function upload(base: string, file: string, name = basename(file)) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), name);
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as UploadedMedia & { message?: string } };
}

/** DELETE with the owner key the upload answered. */
const remove = (base: string, item: UploadedMedia) =>
  fetch(`${base}/api/media/${item.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${item.ownerKey}` } });

async function waitFor(base: string, id: string, until: (m: Media) => boolean, ms = 60_000): Promise<Media> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = (await api<Media>(base, `/api/media/${id}`)).body;
    if (until(m)) return m;
    if (Date.now() > deadline) throw new Error(`media ${id} never reached the state: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every file below MEDIA_DIR, the in-flight folder included. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

const ffmpegRunningOn = (dir: string) => spawnSync('pgrep', ['-f', dir]).status === 0;

describe('media: upload, HLS ladder, serving (real ffmpeg)', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let clip480: string;
  let clip40s: string;
  let clip60s: string;
  beforeAll(async () => {
    // Made before any request: a clip made mid-test can idle a pooled connection past the
    // server's keep-alive timeout, and the next upload then races its close (ECONNRESET).
    clip40s = makeClip({ width: 640, height: 360, seconds: 40 });
    clip60s = makeClip({ width: 854, height: 480, seconds: 60, audio: false });
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-media-'));
    srv = await startApi({ DATA_DIR: `${mediaDir}-data`, MEDIA_DIR: mediaDir, MAX_UPLOAD_BYTES: String(32 * 1024 * 1024) });
    clip480 = makeClip({ width: 854, height: 480, seconds: 6, name: 'My Holiday_2024.mp4' });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(`${mediaDir}-data`, { recursive: true, force: true });
  });

  it('turns an upload into an HLS ladder that ffprobe can read over HTTP, with progress pushed to clients', async () => {
    const { host } = await partyWith(srv.url, []);
    const { socket } = await connect(srv.url, host.token);
    const progress: MediaProgress[] = [];
    socket.on('media:progress', (p) => progress.push(p));
    try {
      const res = await upload(srv.url, clip480);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        title: 'My Holiday 2024',
        status: 'processing',
        progress: 0,
        hlsUrl: null,
        renditions: [
          { height: 360, bandwidth: 928_000 },
          { height: 480, bandwidth: expect.any(Number) },
        ],
      });
      expect(res.body.durationSec).toBeCloseTo(6, 0);
      const ready = await waitFor(srv.url, res.body.id, (m) => m.status === 'ready');
      expect(ready).toMatchObject({ progress: 1, hlsUrl: `/api/media/${ready.id}/hls/master.m3u8`, posterUrl: `/api/media/${ready.id}/poster.jpg` });
      expect(progress.some((p) => p.id === ready.id && p.status === 'ready' && p.progress === 1)).toBe(true);
      expect(progress.some((p) => p.id === ready.id && p.progress > 0 && p.progress < 1)).toBe(true);

      const master = await fetch(srv.url + ready.hlsUrl);
      expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
      expect(master.headers.get('cache-control')).toBe('no-cache');
      const variant = await (await fetch(`${srv.url}/api/media/${ready.id}/hls/v1/index.m3u8`)).text();
      expect(variant).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      expect(variant).toContain('#EXT-X-ENDLIST');
      expect(variant).toMatch(/#EXTINF:2\.0+,/);
      const seg = await fetch(`${srv.url}/api/media/${ready.id}/hls/v0/seg_00000.m4s`);
      expect(seg.status).toBe(200);
      expect(seg.headers.get('content-type')).toBe('video/iso.segment');
      expect(seg.headers.get('cache-control')).toContain('immutable');

      // Async: the server runs in this process and must keep answering ffprobe.
      const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', srv.url + ready.hlsUrl]);
      const probe = JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string; height?: number }[] };
      const heights = probe.streams.filter((s) => s.codec_type === 'video').map((s) => s.height);
      expect(heights.sort()).toEqual([360, 480]);
      expect(probe.streams.filter((s) => s.codec_type === 'video').every((s) => s.codec_name === 'h264')).toBe(true);
      expect(probe.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac')).toBe(true);

      const list = await api<Media[]>(srv.url, '/api/media');
      expect(list.body[0].id).toBe(ready.id);
    } finally {
      socket.close();
    }
  }, 90_000);

  it('serves playable HLS before the job finishes', async () => {
    const res = await upload(srv.url, clip40s);
    expect(res.status).toBe(201);
    const early = await waitFor(srv.url, res.body.id, (m) => m.hlsUrl !== null || m.status !== 'processing');
    expect(early.status).toBe('processing');
    const master = await fetch(srv.url + early.hlsUrl);
    expect(master.status).toBe(200);
    const variant = await (await fetch(`${srv.url}/api/media/${early.id}/hls/v0/index.m3u8`)).text();
    expect(variant).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(variant).not.toContain('#EXT-X-ENDLIST');
    expect((await fetch(`${srv.url}/api/media/${early.id}/hls/v0/seg_00000.m4s`)).status).toBe(200);
    await waitFor(srv.url, early.id, (m) => m.status === 'ready', 90_000);
  }, 120_000);

  it('answers ranges byte-exactly, with validators, 304 and 416', async () => {
    const res = await upload(srv.url, clip480);
    const url = `${srv.url}${res.body.fileUrl}`;
    const original = readFileSync(clip480);
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await full.arrayBuffer()).equals(original)).toBe(true);
    const etag = full.headers.get('etag') as string;
    const lastModified = full.headers.get('last-modified') as string;
    expect(etag).toBeTruthy();
    expect(lastModified).toBeTruthy();

    const range = async (header: string, extra: Record<string, string> = {}) => {
      const r = await fetch(url, { headers: { Range: header, ...extra } });
      return { r, bytes: Buffer.from(await r.arrayBuffer()) };
    };
    let x = await range('bytes=0-99');
    expect(x.r.status).toBe(206);
    expect(x.r.headers.get('content-range')).toBe(`bytes 0-99/${original.length}`);
    expect(x.bytes.equals(original.subarray(0, 100))).toBe(true);
    x = await range('bytes=1000-');
    expect(x.bytes.equals(original.subarray(1000))).toBe(true);
    x = await range('bytes=-500');
    expect(x.r.status).toBe(206);
    expect(x.bytes.equals(original.subarray(original.length - 500))).toBe(true);
    x = await range(`bytes=${original.length + 10}-`);
    expect(x.r.status).toBe(416);
    expect(x.r.headers.get('content-range')).toBe(`bytes */${original.length}`);
    x = await range('bytes=10-19', { 'If-Range': etag });
    expect(x.r.status).toBe(206);
    x = await range('bytes=10-19', { 'If-Range': '"stale"' });
    expect(x.r.status).toBe(200);
    expect(x.bytes.length).toBe(original.length);

    // node:http, not fetch: fetch adds Cache-Control: no-cache to conditional requests.
    const conditional = await new Promise<number>((resolve, reject) =>
      get(url, { headers: { 'If-None-Match': etag } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(conditional).toBe(304);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(original.length));
    await remove(srv.url, res.body);
  });

  it('refuses junk with 415 and an oversized upload with 413, leaving nothing behind', async () => {
    const before = (await api<Media[]>(srv.url, '/api/media')).body.length;
    const dir = mkdtempSync(join(tmpdir(), 'wp-junk-'));
    const junk = join(dir, 'movie.mp4');
    writeFileSync(junk, Buffer.alloc(200_000, 'not a video '));
    const refused = await upload(srv.url, junk);
    expect(refused.status).toBe(415);
    expect(refused.body.message).toMatch(/not a video/);

    const big = join(dir, 'big.mp4');
    writeFileSync(big, Buffer.alloc(33 * 1024 * 1024, 1));
    const tooBig = await upload(srv.url, big);
    expect(tooBig.status).toBe(413);

    const none = await fetch(`${srv.url}/api/media`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(400);
    const emptyForm = new FormData();
    emptyForm.append('title', 'no file');
    expect((await fetch(`${srv.url}/api/media`, { method: 'POST', body: emptyForm })).status).toBe(400);

    expect((await api<Media[]>(srv.url, '/api/media')).body.length).toBe(before);
    expect(filesIn(join(mediaDir, '.incoming'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('never serves a file outside MEDIA_DIR', async () => {
    const res = await upload(srv.url, clip480);
    const id = res.body.id;
    await waitFor(srv.url, id, (m) => m.hlsUrl !== null);
    for (const path of [
      `/api/media/..%2F..%2Fetc%2Fpasswd/file`,
      `/api/media/${id}/hls/..%2Foriginal.mp4`,
      `/api/media/${id}/hls/v0/..%2F..%2Foriginal.mp4`,
      `/api/media/${id}/hls/v0/%2Fetc%2Fpasswd`,
      `/api/media/${id}/hls/v0/index.m3u8%00.jpg`,
      `/api/media/${id}/hls/..%5C..%5Coriginal.mp4`,
      `/api/media/${encodeURIComponent('/etc/passwd')}`,
      `/api/media/${id}/hls/v0/.hidden`,
    ]) {
      const r = await fetch(srv.url + path);
      expect([path, r.status]).toEqual([path, 404]);
    }
    await remove(srv.url, res.body);
  });

  it('delete during transcoding stops ffmpeg and removes every file', async () => {
    const res = await upload(srv.url, clip60s);
    const id = res.body.id;
    await waitFor(srv.url, id, (m) => m.progress > 0);
    expect(ffmpegRunningOn(join(mediaDir, id))).toBe(true);
    const del = await remove(srv.url, res.body);
    expect(del.status).toBe(204);
    await new Promise((r) => setTimeout(r, 500));
    expect(ffmpegRunningOn(join(mediaDir, id))).toBe(false);
    expect(readdirSync(mediaDir)).not.toContain(id);
    expect((await fetch(`${srv.url}/api/media/${id}`)).status).toBe(404);
    expect((await remove(srv.url, res.body)).status).toBe(404);
  }, 60_000);

  it('plays media sources in parties: the snapshot carries the URLs, unknown ids are refused', async () => {
    const res = await upload(srv.url, clip480);
    const ready = await waitFor(srv.url, res.body.id, (m) => m.status === 'ready');
    const { host } = await partyWith(srv.url, [], { source: { kind: 'media', mediaId: ready.id } });
    const { socket, snapshot } = await connect(srv.url, host.token);
    try {
      expect(snapshot.session.source).toEqual({ kind: 'media', mediaId: ready.id });
      expect(snapshot.media).toMatchObject({ id: ready.id, hlsUrl: ready.hlsUrl, fileUrl: ready.fileUrl });
      const bad = await request(socket, 'source:set', { source: { kind: 'media', mediaId: 'AAAAAAAAAAAAAAAA' } });
      expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      const created = await api(srv.url, '/api/sessions', { body: { hostName: 'A', source: { kind: 'media', mediaId: 'AAAAAAAAAAAAAAAA' } } });
      expect(created.status).toBe(400);
    } finally {
      socket.close();
    }
  }, 60_000);
});

describe('media without ffmpeg', () => {
  it('still accepts videos, serves them as files, and says transcoding is unavailable', async () => {
    const mediaDir = mkdtempSync(join(tmpdir(), 'wp-media-noff-'));
    const srv = await startApi({ DATA_DIR: `${mediaDir}-data`, MEDIA_DIR: mediaDir, FFMPEG_PATH: '/nonexistent/ffmpeg', FFPROBE_PATH: '/nonexistent/ffprobe' });
    try {
      expect((await api(srv.url, '/api/health')).body).toEqual({ status: 'ok', transcoding: 'unavailable' });
      const clip = makeClip({ width: 320, height: 240, seconds: 1 });
      const res = await upload(srv.url, clip);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'ready', hlsUrl: null, durationSec: null, renditions: [] });
      const file = await fetch(srv.url + res.body.fileUrl);
      expect(Buffer.from(await file.arrayBuffer()).equals(readFileSync(clip))).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), 'wp-junk-'));
      writeFileSync(join(dir, 'x.mp4'), 'hello');
      expect((await upload(srv.url, join(dir, 'x.mp4'))).status).toBe(415);
    } finally {
      await srv.close();
      rmSync(mediaDir, { recursive: true, force: true });
      rmSync(`${mediaDir}-data`, { recursive: true, force: true });
    }
  });
});
