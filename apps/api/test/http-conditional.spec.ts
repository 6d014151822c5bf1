import type { Media } from '@watch-party/contracts';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type ApiInstance, startApi } from './api-instance';
import { makeClip } from './clips';

/** One GET with its body read; `agent: false` so no pooled socket outlives it. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const fdCount = () => readdirSync('/proc/self/fd').length;

async function settle(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

function expectJsonError(r: { status: number; headers: Record<string, unknown>; body: Buffer }, status: number) {
  expect(r.status).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
}

describe('conditional and range requests on file routes (RFC 9110)', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let original: Buffer;
  let url: string;
  let etag: string;
  let lastModified: string;
  let mtime: Date;
  let clipDir: string;

  beforeAll(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-cond-media-'));
    srv = await startApi({ MEDIA_DIR: mediaDir });
    const clip = makeClip({ width: 320, height: 240, seconds: 2, audio: false });
    clipDir = dirname(clip);
    original = readFileSync(clip);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(original)]), basename(clip));
    const res = await fetch(`${srv.url}/api/media`, { method: 'POST', body: form });
    const media = (await res.json()) as Media;
    expect(res.status).toBe(201);
    url = `${srv.url}${media.fileUrl}`;
    // A modification time well in the past, so date validators are strong.
    const path = readdirSync(join(mediaDir, media.id)).find((n) => n.endsWith('.mp4')) as string;
    mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    utimesSync(join(mediaDir, media.id, path), mtime, mtime);
    const full = await get(url);
    etag = String(full.headers['etag']);
    lastModified = String(full.headers['last-modified']);
  }, 60_000);
  afterAll(async () => {
    await srv.close();
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(clipDir, { recursive: true, force: true });
  });

  it('sends a strong ETag computed from size and modification time, and Last-Modified', async () => {
    const full = await get(url);
    expect(full.status).toBe(200);
    expect(full.body.equals(original)).toBe(true);
    expect(full.headers['content-type']).toBe('video/mp4');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(etag.startsWith(`"${original.length.toString(16)}-`)).toBe(true);
    expect(Date.parse(lastModified)).toBe(mtime.getTime());
    // Same file, same validator.
    expect((await get(url)).headers['etag']).toBe(etag);
  });

  it('If-Match: 412 (JSON) unless a strong match or *', async () => {
    expect((await get(url, { 'If-Match': etag })).status).toBe(200);
    expect((await get(url, { 'If-Match': `"x", ${etag}` })).status).toBe(200);
    expect((await get(url, { 'If-Match': '*' })).status).toBe(200);
    for (const value of ['"stale"', `W/${etag}`, 'garbage', `"${etag}"`]) {
      const r = await get(url, { 'If-Match': value });
      expectJsonError(r, 412);
      expect(r.headers['etag']).toBeUndefined();
    }
  });

  it('If-Unmodified-Since: 412 (JSON) when the file is newer; ignored when not a date', async () => {
    const r = await get(url, { 'If-Unmodified-Since': new Date(mtime.getTime() - 60_000).toUTCString() });
    expectJsonError(r, 412);
    expect((await get(url, { 'If-Unmodified-Since': lastModified })).status).toBe(200);
    expect((await get(url, { 'If-Unmodified-Since': new Date().toUTCString() })).status).toBe(200);
    expect((await get(url, { 'If-Unmodified-Since': 'not a date' })).status).toBe(200);
    // If-Match wins over If-Unmodified-Since.
    expect((await get(url, { 'If-Match': etag, 'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
  });

  it('If-None-Match (weak comparison) and If-Modified-Since answer 304 without a body', async () => {
    const cases: Record<string, string>[] = [
      { 'If-None-Match': etag },
      { 'If-None-Match': `W/${etag}` },
      { 'If-None-Match': `"a", ${etag}` },
      { 'If-None-Match': '*' },
      { 'If-Modified-Since': lastModified },
      { 'If-Modified-Since': new Date().toUTCString() },
    ];
    for (const headers of cases) {
      const r = await get(url, headers);
      expect(r.status).toBe(304);
      expect(r.body.length).toBe(0);
      expect(r.headers['etag']).toBe(etag);
    }
    expect((await get(url, { 'If-None-Match': '"other"' })).status).toBe(200);
    expect((await get(url, { 'If-Modified-Since': new Date(mtime.getTime() - 1000).toUTCString() })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since.
    expect((await get(url, { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified })).status).toBe(200);
  });

  it('If-Range honours only an exact strong ETag or the exact Last-Modified date', async () => {
    const ranged = async (ifRange: string) => get(url, { Range: 'bytes=10-19', 'If-Range': ifRange });
    const exact = await ranged(etag);
    expect(exact.status).toBe(206);
    expect(exact.body.equals(original.subarray(10, 20))).toBe(true);
    expect((await ranged(lastModified)).status).toBe(206);
    for (const stale of [`W/${etag}`, `"x${etag.slice(1)}`, `${etag}, "other"`, `"other" ${etag}`, '"stale"', new Date(mtime.getTime() + 5000).toUTCString(), 'junk']) {
      const r = await ranged(stale);
      expect({ stale, status: r.status }).toEqual({ stale, status: 200 });
      expect(r.body.equals(original)).toBe(true);
    }
  });

  it('ranges: byte-exact 206, suffixes, 416 with Content-Range */size, multiple ranges as one or as 200', async () => {
    const size = original.length;
    let r = await get(url, { Range: 'bytes=0-99' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 0-99/${size}`);
    expect(r.headers['content-length']).toBe('100');
    expect(r.body.equals(original.subarray(0, 100))).toBe(true);
    r = await get(url, { Range: 'bytes=-500' });
    expect(r.body.equals(original.subarray(size - 500))).toBe(true);
    r = await get(url, { Range: `bytes=${size - 10}-${size + 1000}` });
    expect(r.headers['content-range']).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    r = await get(url, { Range: `bytes=-${size * 2}` });
    expect(r.status).toBe(206);
    expect(r.body.equals(original)).toBe(true);
    for (const unsatisfiable of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0', 'bytes=99999999999999999999999-']) {
      r = await get(url, { Range: unsatisfiable });
      expectJsonError(r, 416);
      expect(r.headers['content-range']).toBe(`bytes */${size}`);
    }
    // Adjacent or overlapping ranges are one range; disjoint ones get the whole file.
    r = await get(url, { Range: 'bytes=0-9, 10-19,5-12' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 0-19/${size}`);
    r = await get(url, { Range: 'bytes=0-9,100-109' });
    expect(r.status).toBe(200);
    expect(r.body.equals(original)).toBe(true);
    // One satisfiable range among unsatisfiable ones is served.
    r = await get(url, { Range: `bytes=${size + 5}-,0-3` });
    expect(r.status).toBe(206);
    expect(r.body.equals(original.subarray(0, 4))).toBe(true);
    // Malformed or other units: the Range header is ignored.
    for (const ignored of ['bytes=abc', 'bytes=5-2', 'items=0-9', 'bytes=', 'bytes=--1', 'bytes=0-9,x']) {
      r = await get(url, { Range: ignored });
      expect({ ignored, status: r.status }).toEqual({ ignored, status: 200 });
    }
    // HEAD: the headers of the answer, no body.
    r = await get(url, { Range: 'bytes=0-9' }, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(size));
    expect(r.body.length).toBe(0);
  });

  it('a missing file answers 404 as JSON, not with the content type the route set', async () => {
    const missing = await get(`${srv.url}/api/media/AAAAAAAAAAAAAAAA/file`);
    expectJsonError(missing, 404);
    const id = new URL(url).pathname.split('/')[3];
    const name = readdirSync(join(mediaDir, id)).find((n) => n.endsWith('.mp4')) as string;
    const saved = readFileSync(join(mediaDir, id, name));
    rmSync(join(mediaDir, id, name));
    try {
      const r = await get(url);
      expectJsonError(r, 404);
      expect(r.headers['cache-control']).toBeUndefined();
      expect(r.headers['etag']).toBeUndefined();
    } finally {
      writeFileSync(join(mediaDir, id, name), saved);
      utimesSync(join(mediaDir, id, name), mtime, mtime);
    }
  });

  it('the same rules hold on the poster and HLS routes', async () => {
    const id = new URL(url).pathname.split('/')[3];
    const deadline = Date.now() + 60_000;
    let media: Media;
    for (;;) {
      media = (await (await fetch(`${srv.url}/api/media/${id}`)).json()) as Media;
      if (media.status !== 'processing' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(media.status).toBe('ready');
    for (const [path, type] of [
      [media.posterUrl, 'image/jpeg'],
      [media.hlsUrl, 'application/vnd.apple.mpegurl'],
      [`/api/media/${id}/hls/v0/seg_00000.m4s`, 'video/iso.segment'],
    ]) {
      const full = await get(`${srv.url}${path}`);
      expect({ path, status: full.status, type: full.headers['content-type'] }).toEqual({ path, status: 200, type });
      const tag = String(full.headers['etag']);
      expect(tag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect((await get(`${srv.url}${path}`, { 'If-None-Match': tag })).status).toBe(304);
      expectJsonError(await get(`${srv.url}${path}`, { 'If-Match': '"stale"' }), 412);
      expect((await get(`${srv.url}${path}`, { Range: 'bytes=0-0', 'If-Range': `W/${tag}` })).status).toBe(200);
      expect((await get(`${srv.url}${path}`, { Range: 'bytes=0-0', 'If-Range': tag })).status).toBe(206);
    }
    expectJsonError(await get(`${srv.url}/api/media/${id}/hls/v0/seg_99999.m4s`), 404);
  }, 90_000);

  it('requests aborted mid-body leave no file handle open', async () => {
    const base = fdCount();
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(url, { agent: false, headers: i % 2 ? { Range: 'bytes=100-' } : {} }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
        req.end();
      });
    }
    expect(await settle(() => fdCount() <= base)).toBe(true);
  });

  it('fuzz: random conditional and range headers never give a 5xx, and every error is JSON', async () => {
    const date = fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }).map((d) => d.toUTCString());
    const tag = fc.oneof(fc.constant(etag), fc.constant(`W/${etag}`), fc.constant('*'), fc.string().map((s) => `"${s}"`), fc.string());
    const tags = fc.array(tag, { minLength: 1, maxLength: 3 }).map((a) => a.join(', '));
    const num = fc.oneof(fc.nat({ max: original.length * 2 }), fc.constant(original.length), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String));
    const spec = fc.oneof(
      fc.tuple(num, num).map(([a, b]) => `${a}-${b}`),
      num.map((a) => `${a}-`),
      num.map((a) => `-${a}`),
      fc.string(),
    );
    const range = fc.oneof(
      fc.array(spec, { minLength: 1, maxLength: 4 }).map((a) => `bytes=${a.join(',')}`),
      fc.string().map((s) => `bytes=${s}`),
      fc.string(),
    );
    // Header values must be valid HTTP field values for the client to send them.
    const valid = (s: string) => /^[\t\x20-\x7e]*$/.test(s) && s.trim() === s;
    const header = <T extends string>(arb: fc.Arbitrary<T>) => fc.option(arb.filter(valid), { nil: undefined });
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          Range: header(range),
          'If-Range': header(fc.oneof(tag, date)),
          'If-Match': header(tags),
          'If-None-Match': header(tags),
          'If-Modified-Since': header(fc.oneof(date, fc.string())),
          'If-Unmodified-Since': header(fc.oneof(date, fc.string())),
        }),
        fc.boolean(),
        async (h, head) => {
          const headers = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
          const r = await get(url, headers, head ? 'HEAD' : 'GET');
          seen.add(r.status);
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) {
            expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
            if (!head) expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: r.status });
          }
          if (r.status === 206 && !head) {
            const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(r.headers['content-range']));
            expect(m).not.toBeNull();
            const [start, end] = [Number(m?.[1]), Number(m?.[2])];
            expect(r.body.equals(original.subarray(start, end + 1))).toBe(true);
          }
          if (r.status === 200 && !head) expect(r.body.length).toBe(original.length);
        },
      ),
      { numRuns: 400, seed: 9110 },
    );
    console.log(`fuzz: 400 requests, statuses ${[...seen].sort().join(', ')}`);
    expect(seen.has(200)).toBe(true);
  }, 120_000);
});
