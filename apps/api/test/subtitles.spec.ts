import { type Media, subtitleTrackSchema, type SubtitleTrack, type UploadedMedia } from '@watch-party/contracts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { api, type ApiInstance, filesIn, startApi, waitForMedia } from './api-instance';
import { makeClip, makeSubtitledClip } from './clips';
import { type RedisServer, startRedis } from './redis-server';

/*
 * Subtitle tracks over HTTP: text subtitle streams of an uploaded video extracted to WebVTT,
 * .srt and .vtt files added through the route, served as text/vtt, removed by their owner.
 */

const ADMIN = 'admin-token-for-subtitle-tests-0123456789';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const SRT = '1\r\n00:00:00,500 --> 00:00:01,500\r\nHello <i>there</i>\r\n\r\n2\r\n00:00:01,600 --> 00:00:02,000\r\nBye\r\n';
const VTT = 'WEBVTT\n\n00:00.500 --> 00:01.500\nFrom a VTT file\n';
/** SUBTITLE_MAX_BYTES by default. */
const SUBTITLE_MAX_BYTES = 2 * 1024 * 1024;

type ErrorBody = { statusCode: number; error: string; message: string };

async function uploadVideo(base: string, file: string, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form, headers });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as UploadedMedia;
}

async function addTrack(
  base: string,
  id: string,
  file: { body: string | Uint8Array; name: string },
  fields: Record<string, string> = { label: 'English', lang: 'en' },
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([typeof file.body === 'string' ? file.body : new Uint8Array(file.body)]), file.name);
  const res = await fetch(`${base}/api/media/${id}/subtitles`, { method: 'POST', body: form, headers });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as SubtitleTrack & ErrorBody };
}

async function instance(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wp-subtitles-'));
  const mediaDir = join(dir, 'media');
  const srv = await startApi({ DATA_DIR: join(dir, 'data'), MEDIA_DIR: mediaDir, ADMIN_TOKEN: ADMIN, UPLOADS_PER_HOUR: '1000', ...env });
  return {
    srv,
    mediaDir,
    close: async () => {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An SRT file of exactly `bytes` bytes: one cue whose text fills it. */
function srtOfSize(bytes: number): string {
  const head = '1\n00:00:01,000 --> 00:00:02,000\n';
  return `${head}${'x'.repeat(bytes - head.length - 1)}\n`;
}

describe('subtitles over HTTP (SQLite store, open publish policy)', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let close: () => Promise<void>;
  let item: UploadedMedia;
  beforeAll(async () => {
    ({ srv, mediaDir, close } = await instance());
    item = await uploadVideo(srv.url, makeClip({ width: 160, height: 120, seconds: 1, audio: false }));
  });
  afterAll(() => close());

  const subtitleFiles = () => filesIn(mediaDir).filter((f) => f.includes(`${join(item.id, 'subtitles')}`) || f.includes('.incoming'));

  it('extracts the subrip streams of an uploaded MKV into WebVTT tracks, labelled from their tags, served as text/vtt with the cue text', async () => {
    const clip = makeSubtitledClip({
      seconds: 2,
      tracks: [
        { srt: '1\n00:00:00,500 --> 00:00:01,500\nBonjour le monde\n', language: 'fre', title: 'Français' },
        { srt: '1\n00:00:00,500 --> 00:00:01,500\nHello world\n', language: 'eng' },
      ],
    });
    const uploaded = await uploadVideo(srv.url, clip);
    const ready = await waitForMedia(srv.url, uploaded.id, (m) => m.status !== 'processing');
    expect(ready.status).toBe('ready');
    expect(ready.subtitles.map(({ label, lang }) => ({ label, lang }))).toEqual([
      { label: 'Français', lang: 'fre' },
      { label: 'English', lang: 'eng' },
    ]);
    const res = await fetch(srv.url + ready.subtitles[0].url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const text = await res.text();
    expect(text.split('\n')[0]).toMatch(/^WEBVTT/);
    expect(text).toMatch(/^(00:)?00:00\.500 --> (00:)?00:01\.500$/m);
    expect(text).toContain('Bonjour le monde');
    expect(await (await fetch(srv.url + ready.subtitles[1].url)).text()).toContain('Hello world');
    // Cached like the other media files: a strong ETag, 304 when it matches.
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(srv.url + ready.subtitles[0].url, { headers: { 'If-None-Match': etag ?? '' } })).status).toBe(304);
  });

  it('adds a .srt (converted) and a .vtt through POST /api/media/:id/subtitles: 201 SubtitleTrack, listed on the item, served as WEBVTT', async () => {
    const srt = await addTrack(srv.url, item.id, { body: SRT, name: 'film.srt' }, { label: 'English', lang: 'en-GB' });
    expect(srt.status).toBe(201);
    expect(subtitleTrackSchema.strict().safeParse(srt.body).success).toBe(true);
    expect(srt.body).toMatchObject({ label: 'English', lang: 'en-GB', url: `/api/media/${item.id}/subtitles/${srt.body.id}.vtt` });
    const vtt = await addTrack(srv.url, item.id, { body: VTT, name: 'film.vtt' }, { label: 'Notes' });
    expect(vtt.status).toBe(201);
    expect(vtt.body.lang).toBeNull();
    const listed = (await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles;
    expect(listed).toEqual([srt.body, vtt.body]);
    expect((await api<Media[]>(srv.url, '/api/media')).body.find((m) => m.id === item.id)?.subtitles).toEqual(listed);
    const served = await (await fetch(srv.url + srt.body.url)).text();
    expect(served).toBe('WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nHello <i>there</i>\n\n00:00:01.600 --> 00:00:02.000\nBye\n');
    expect(await (await fetch(srv.url + vtt.body.url)).text()).toBe(VTT);
  });

  it(`takes a file of exactly SUBTITLE_MAX_BYTES (2 MiB) and refuses one byte more with 413 JSON, keeping nothing`, async () => {
    const exact = await addTrack(srv.url, item.id, { body: srtOfSize(SUBTITLE_MAX_BYTES), name: 'big.srt' }, { label: 'Big' });
    expect(exact.status).toBe(201);
    const before = (await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles.length;
    const files = subtitleFiles().length;
    const over = await addTrack(srv.url, item.id, { body: srtOfSize(SUBTITLE_MAX_BYTES + 1), name: 'big.srt' }, { label: 'Too big' });
    expect(over.status).toBe(413);
    expect(over.type).toContain('application/json');
    expect(over.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect((await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles).toHaveLength(before);
    expect(subtitleFiles()).toHaveLength(files);
  });

  it.each([
    ['Latin-1 text', 415, { body: Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nÉté à Paris\n', 'latin1'), name: 'fr.srt' }, { label: 'French' }],
    ['random bytes', 415, { body: Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256), name: 'junk.srt' }, { label: 'Junk' }],
    ['text without a cue', 400, { body: 'this is not a subtitle file\n', name: 'notes.srt' }, { label: 'Notes' }],
    ['a .vtt without the signature', 400, { body: SRT, name: 'wrong.vtt' }, { label: 'Wrong' }],
    ['a video file', 415, { body: readFileSync(makeClip({ width: 160, height: 120, seconds: 1, audio: false })), name: 'clip.mp4' }, { label: 'Video' }],
    ['a missing label', 400, { body: SRT, name: 'a.srt' }, { lang: 'en' }],
    ['a 41-character label', 400, { body: SRT, name: 'a.srt' }, { label: 'x'.repeat(41) }],
    ['a lang that is no language tag', 400, { body: SRT, name: 'a.srt' }, { label: 'x', lang: 'en_US!' }],
  ])('refuses %s with %d and a JSON message, keeping nothing', async (_what, code, file, fields) => {
    const before = (await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles.length;
    const files = subtitleFiles().length;
    const res = await addTrack(srv.url, item.id, file, fields);
    expect(res.status).toBe(code);
    expect(res.type).toContain('application/json');
    expect(res.body.statusCode).toBe(code);
    expect(res.body.message.length).toBeGreaterThan(5);
    expect((await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles).toHaveLength(before);
    expect(subtitleFiles()).toHaveLength(files);
  });

  it('deletes a track only with the owner key or the admin token; its URL is 404 after, and the item\'s deletion takes its tracks', async () => {
    const other = await uploadVideo(srv.url, makeClip({ width: 160, height: 120, seconds: 1, audio: false }));
    const a = (await addTrack(srv.url, other.id, { body: SRT, name: 'a.srt' }, { label: 'a' })).body;
    const b = (await addTrack(srv.url, other.id, { body: VTT, name: 'b.vtt' }, { label: 'b' })).body;
    const del = (trackId: string, headers: Record<string, string>) => api<ErrorBody>(srv.url, `/api/media/${other.id}/subtitles/${trackId}`, { method: 'DELETE', headers });
    expect((await del(a.id, {})).status).toBe(401);
    expect((await del(a.id, bearer(item.ownerKey))).status).toBe(403);
    expect((await del('nosuchtrack000', bearer(other.ownerKey))).status).toBe(404);
    expect((await del(a.id, bearer(other.ownerKey))).status).toBe(204);
    expect((await fetch(srv.url + a.url)).status).toBe(404);
    expect((await del(a.id, bearer(ADMIN))).status).toBe(404);
    expect((await api<Media>(srv.url, `/api/media/${other.id}`)).body.subtitles).toEqual([b]);
    expect((await api(srv.url, `/api/media/${other.id}`, { method: 'DELETE', headers: bearer(ADMIN) })).status).toBe(204);
    expect((await fetch(srv.url + b.url)).status).toBe(404);
    expect(filesIn(mediaDir).filter((f) => f.includes(other.id))).toEqual([]);
  });
});

describe('subtitles under PUBLISH_POLICY=admin', () => {
  let srv: ApiInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ srv, close } = await instance({ PUBLISH_POLICY: 'admin' }));
  });
  afterAll(() => close());

  it('adds only with the admin token or the item\'s owner key: 401 otherwise, before the body is read', async () => {
    const item = await uploadVideo(srv.url, makeClip({ width: 160, height: 120, seconds: 1, audio: false }), bearer(ADMIN));
    const anonymous = await addTrack(srv.url, item.id, { body: SRT, name: 'a.srt' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.message).toContain('admin token');
    expect((await addTrack(srv.url, item.id, { body: SRT, name: 'a.srt' }, { label: 'x' }, bearer('a-key-that-owns-nothing-here'))).status).toBe(401);
    expect((await addTrack(srv.url, item.id, { body: SRT, name: 'a.srt' }, { label: 'owner' }, bearer(item.ownerKey))).status).toBe(201);
    expect((await addTrack(srv.url, item.id, { body: VTT, name: 'a.vtt' }, { label: 'admin' }, bearer(ADMIN))).status).toBe(201);
    expect((await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles.map((t) => t.label)).toEqual(['owner', 'admin']);
  });
});

describe('subtitles with REDIS_URL', () => {
  let redis: RedisServer;
  let srv: ApiInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    redis = await startRedis();
    ({ srv, close } = await instance({ REDIS_URL: redis.url }));
  });
  afterAll(async () => {
    await close();
    await redis.close();
  });

  it('keeps tracks with the media record in Redis: added, listed, served, and the list empty (not an object) once the last one is removed', async () => {
    const item = await uploadVideo(srv.url, makeClip({ width: 160, height: 120, seconds: 1, audio: false }));
    const track = await addTrack(srv.url, item.id, { body: SRT, name: 'a.srt' });
    expect(track.status).toBe(201);
    // Progress writes merge into the record meanwhile (Lua): the track must survive them.
    await waitForMedia(srv.url, item.id, (m) => m.status !== 'processing');
    const listed = (await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles;
    expect(listed).toEqual([track.body]);
    expect((await (await fetch(srv.url + track.body.url)).text()).startsWith('WEBVTT')).toBe(true);
    expect((await api(srv.url, `/api/media/${item.id}/subtitles/${track.body.id}`, { method: 'DELETE', headers: bearer(item.ownerKey) })).status).toBe(204);
    expect((await api<Media>(srv.url, `/api/media/${item.id}`)).body.subtitles).toEqual([]);
  });
});
