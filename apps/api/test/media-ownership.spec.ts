import { mediaSchema, type Media, type UploadedMedia, uploadedMediaSchema } from '@watch-party/contracts';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { newId } from '../src/common/ids';
import { type MediaRecord, MediaRepository, MemoryMediaRepository } from '../src/media/media.repository';
import { RedisMediaRepository } from '../src/media/media.repository.redis';
import { SqliteMediaRepository } from '../src/media/media.repository.sqlite';
import { MediaService } from '../src/media/media.service';
import { SqliteStore } from '../src/store/sqlite-store';
import { api, type ApiInstance, filesIn, startApi, waitForMedia } from './api-instance';
import { makeClip } from './clips';
import { type RedisServer, startRedis } from './redis-server';

/*
 * Owner keys: each upload answers a key of its own, shown once and stored hashed; renaming
 * and deleting need it (or the admin token). PUBLISH_POLICY=admin keeps uploads to the admin.
 */

const ADMIN = 'admin-token-for-ownership-tests-0123456789';
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function upload(base: string, file: string, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form, headers });
  return { status: res.status, body: (await res.json()) as UploadedMedia & { message?: string } };
}

function send(base: string, method: string, id: string, headers: Record<string, string> = {}, body?: unknown) {
  return api<Media & { message?: string; statusCode?: number; error?: string }>(base, `/api/media/${id}`, {
    method,
    headers,
    ...(body === undefined ? {} : { raw: JSON.stringify(body) }),
  });
}



async function instance(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wp-owner-'));
  const dataDir = join(dir, 'data');
  const mediaDir = join(dir, 'media');
  const srv = await startApi({ DATA_DIR: dataDir, MEDIA_DIR: mediaDir, ADMIN_TOKEN: ADMIN, UPLOADS_PER_HOUR: '1000', ...env });
  return {
    srv,
    dataDir,
    mediaDir,
    close: async () => {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('media ownership (open publish policy)', () => {
  let srv: ApiInstance;
  let dataDir: string;
  let mediaDir: string;
  let close: () => Promise<void>;
  let clip: string;
  let longClip: string;
  beforeAll(async () => {
    clip = makeClip({ width: 160, height: 120, seconds: 1, audio: false, name: 'Short one.mp4' });
    longClip = makeClip({ width: 640, height: 360, seconds: 20, audio: false, name: 'Long one.mp4' });
    ({ srv, dataDir, mediaDir, close } = await instance());
  });
  afterAll(() => close());

  it('answers each upload with its own 192-bit owner key, once; GET and the store never reveal it', async () => {
    const a = await upload(srv.url, clip);
    const b = await upload(srv.url, clip);
    expect([a.status, b.status]).toEqual([201, 201]);
    for (const { body } of [a, b]) {
      expect(uploadedMediaSchema.safeParse(body).success).toBe(true);
      expect(Object.keys(body).sort()).toEqual([...Object.keys(mediaSchema.shape).filter((k) => k !== 'error'), 'ownerKey'].sort());
      // 24 random bytes in base64url: 32 characters, 192 bits.
      expect(body.ownerKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(Buffer.from(body.ownerKey, 'base64url')).toHaveLength(24);
    }
    expect(a.body.ownerKey).not.toBe(b.body.ownerKey);

    const record = await srv.app.get(MediaRepository).get(a.body.id);
    expect(record?.ownerKeyHash).toBe(sha256Hex(a.body.ownerKey));
    expect(JSON.stringify(record)).not.toContain(a.body.ownerKey);

    const one = await fetch(`${srv.url}/api/media/${a.body.id}`);
    const list = await fetch(`${srv.url}/api/media`);
    const texts = [await one.text(), await list.text()];
    for (const text of texts) {
      for (const { body } of [a, b]) {
        expect(text).not.toContain(body.ownerKey);
        expect(text).not.toContain(sha256Hex(body.ownerKey));
      }
      expect(text).not.toMatch(/ownerKey/i);
    }
    const shown = JSON.parse(texts[0]) as Media;
    expect(mediaSchema.strict().safeParse(shown).success).toBe(true);
    expect(shown).toMatchObject({ id: a.body.id, title: a.body.title, createdAt: a.body.createdAt, sizeBytes: a.body.sizeBytes, fileUrl: a.body.fileUrl });
    // The embedded store keeps only hashes.
    await new Promise((r) => setTimeout(r, 200));
    for (const f of filesIn(dataDir)) {
      const bytes = readFileSync(f);
      expect([f, bytes.includes(a.body.ownerKey), bytes.includes(b.body.ownerKey)]).toEqual([f, false, false]);
    }
  }, 30_000);

  it('PATCH and DELETE: 404 for an unknown id, then 401 without a credential, then 403 with a wrong one', async () => {
    const a = (await upload(srv.url, clip)).body;
    const b = (await upload(srv.url, clip)).body;
    const unknown = newId();
    expect((await send(srv.url, 'PATCH', unknown, {}, { title: 'x' })).status).toBe(404);
    expect((await send(srv.url, 'DELETE', unknown)).status).toBe(404);
    expect((await send(srv.url, 'DELETE', unknown, bearer(a.ownerKey))).status).toBe(404);

    const noCredential: Record<string, string>[] = [{}, { Authorization: 'Basic YWRtaW46YWRtaW4=' }, { Authorization: 'Bearer' }];
    for (const headers of noCredential) {
      const patch = await send(srv.url, 'PATCH', a.id, headers, { title: 'Stolen' });
      expect([patch.status, patch.headers.get('content-type')]).toEqual([401, 'application/json; charset=utf-8']);
      expect(patch.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/owner key or the admin token/) });
      expect((await send(srv.url, 'DELETE', a.id, headers)).status).toBe(401);
    }
    for (const key of [b.ownerKey, 'x'.repeat(32), a.ownerKey.slice(0, -1), sha256Hex(a.ownerKey)]) {
      const patch = await send(srv.url, 'PATCH', a.id, bearer(key), { title: 'Stolen' });
      expect(patch.status).toBe(403);
      expect(patch.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/does not own this item/) });
      expect((await send(srv.url, 'DELETE', a.id, bearer(key))).status).toBe(403);
    }
    expect((await api<Media>(srv.url, `/api/media/${a.id}`)).body.title).toBe('Short one');
    expect(existsSync(join(mediaDir, a.id))).toBe(true);

    // Bad bodies: 400 naming the problem.
    expect((await send(srv.url, 'PATCH', a.id, bearer(a.ownerKey), { title: '   ' })).status).toBe(400);
    expect((await send(srv.url, 'PATCH', a.id, bearer(a.ownerKey), { title: 'x'.repeat(121) })).status).toBe(400);
    expect((await send(srv.url, 'PATCH', a.id, bearer(a.ownerKey), { title: 'ok', status: 'ready' })).status).toBe(400);
    expect((await send(srv.url, 'PATCH', a.id, bearer(a.ownerKey), { title: 42 })).status).toBe(400);

    const renamed = await send(srv.url, 'PATCH', a.id, bearer(a.ownerKey), { title: '  Our trip  ' });
    expect(renamed.status).toBe(200);
    expect(mediaSchema.strict().safeParse(renamed.body).success).toBe(true);
    expect(renamed.body).toMatchObject({ id: a.id, title: 'Our trip' });
    expect((await api<Media>(srv.url, `/api/media/${a.id}`)).body.title).toBe('Our trip');
    expect((await send(srv.url, 'PATCH', b.id, bearer(ADMIN), { title: 'Renamed by the admin' })).body.title).toBe('Renamed by the admin');

    const deleted = await fetch(`${srv.url}/api/media/${a.id}`, { method: 'DELETE', headers: bearer(a.ownerKey) });
    expect([deleted.status, await deleted.text()]).toEqual([204, '']);
    expect(existsSync(join(mediaDir, a.id))).toBe(false);
    expect((await send(srv.url, 'GET', a.id)).status).toBe(404);
    expect((await send(srv.url, 'DELETE', a.id, bearer(a.ownerKey))).status).toBe(404);
    expect((await send(srv.url, 'DELETE', b.id, bearer(ADMIN))).status).toBe(204);
    expect(existsSync(join(mediaDir, b.id))).toBe(false);
  }, 30_000);

  it('a live recording (importFile) has no owner key: only the admin renames or deletes it', async () => {
    const someone = (await upload(srv.url, clip)).body;
    const recording = await srv.app.get(MediaService).importFile(makeClip({ width: 160, height: 120, seconds: 1, audio: false }), 'Launch night');
    expect(recording).not.toHaveProperty('ownerKey');
    expect((await srv.app.get(MediaRepository).get(recording.id))?.ownerKeyHash).toBeUndefined();
    expect((await send(srv.url, 'PATCH', recording.id, {}, { title: 'Mine now' })).status).toBe(401);
    const foreign = await send(srv.url, 'PATCH', recording.id, bearer(someone.ownerKey), { title: 'Mine now' });
    expect([foreign.status, foreign.body.message]).toEqual([403, 'only the admin may manage this item (renaming)']);
    expect((await send(srv.url, 'DELETE', recording.id, bearer(someone.ownerKey))).status).toBe(403);
    expect((await send(srv.url, 'PATCH', recording.id, bearer(ADMIN), { title: 'Launch night (full)' })).body.title).toBe('Launch night (full)');
    expect((await send(srv.url, 'DELETE', recording.id, bearer(ADMIN))).status).toBe(204);
    expect(existsSync(join(mediaDir, recording.id))).toBe(false);
    expect((await send(srv.url, 'DELETE', someone.id, bearer(someone.ownerKey))).status).toBe(204);
  }, 30_000);

  it('a rename during transcoding survives the progress writes, and the job still finishes', async () => {
    const a = (await upload(srv.url, longClip)).body;
    await waitForMedia(srv.url, a.id, (m) => m.progress > 0);
    const renamed = await send(srv.url, 'PATCH', a.id, bearer(a.ownerKey), { title: 'Renamed mid-job' });
    expect([renamed.status, renamed.body.status]).toEqual([200, 'processing']);
    const ready = await waitForMedia(srv.url, a.id, (m) => m.status !== 'processing');
    expect(ready).toMatchObject({ title: 'Renamed mid-job', status: 'ready', progress: 1 });
    expect(ready.hlsUrl).not.toBeNull();
    expect((await send(srv.url, 'DELETE', a.id, bearer(a.ownerKey))).status).toBe(204);
  }, 90_000);
});

describe('PUBLISH_POLICY=admin', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let close: () => Promise<void>;
  let clip: string;
  beforeAll(async () => {
    clip = makeClip({ width: 160, height: 120, seconds: 1, audio: false });
    ({ srv, mediaDir, close } = await instance({ PUBLISH_POLICY: 'admin', UPLOADS_PER_HOUR: '1' }));
  });
  afterAll(() => close());

  it('refuses an upload without the admin token with 401, before its body is read, and keeps nothing', async () => {
    for (const headers of [{}, bearer('not-the-admin-token'), bearer(ADMIN.slice(1))]) {
      const res = await upload(srv.url, clip, headers);
      expect([res.status, res.body.message]).toEqual([401, 'uploading a video needs the admin token (Authorization: Bearer <token>)']);
    }
    // Headers only, a 10 MiB body announced and never sent: the answer does not wait for it.
    const answer = await new Promise<string>((resolve, reject) => {
      const port = Number(new URL(srv.url).port);
      const s = connect(port, '127.0.0.1', () =>
        s.write(`POST /api/media HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`),
      );
      let got = '';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no answer: ${got}`));
      }, 5000);
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) {
          clearTimeout(timer);
          s.destroy();
          resolve(got.split('\r\n')[0]);
        }
      });
      s.on('error', reject);
    });
    expect(answer).toBe('HTTP/1.1 401 Unauthorized');
    await new Promise((r) => setTimeout(r, 200));
    expect(filesIn(mediaDir)).toEqual([]);
    expect((await api<Media[]>(srv.url, '/api/media')).body).toEqual([]);
  }, 30_000);

  it('takes uploads with the admin token, which UPLOADS_PER_HOUR does not limit', async () => {
    const first = await upload(srv.url, clip, bearer(ADMIN));
    const second = await upload(srv.url, clip, bearer(ADMIN));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.ownerKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await send(srv.url, 'DELETE', first.body.id, bearer(first.body.ownerKey))).status).toBe(204);
    expect((await send(srv.url, 'DELETE', second.body.id, bearer(ADMIN))).status).toBe(204);
  }, 30_000);
});

describe('open publish policy: anyone uploads, within UPLOADS_PER_HOUR', () => {
  it('takes an anonymous upload and rate-limits the next one', async () => {
    const { srv, close } = await instance({ UPLOADS_PER_HOUR: '1' });
    try {
      const clip = makeClip({ width: 160, height: 120, seconds: 1, audio: false });
      expect((await upload(srv.url, clip)).status).toBe(201);
      expect((await upload(srv.url, clip)).status).toBe(429);
    } finally {
      await close();
    }
  }, 30_000);
});

describe('a rename racing progress writes loses neither (every MediaRepository)', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const dirs: string[] = [];
  const stores: SqliteStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    stores.forEach((s) => s.close());
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    await redis.close();
  });

  const record = (): MediaRecord => ({
    id: newId(),
    title: 'Before',
    status: 'processing',
    progress: 0,
    durationSec: 10,
    renditions: [{ height: 360, bandwidth: 900_000 }],
    originalName: 'original.mp4',
    contentType: 'video/mp4',
    sizeBytes: 1000,
    hlsPlayable: false,
    hasPoster: false,
    createdAt: new Date().toISOString(),
    source: { durationSec: 10, width: 640, height: 360, fps: 30, hasAudio: false },
    ownerKeyHash: sha256Hex('key'),
  });

  it.each(['memory', 'sqlite', 'redis (two replicas)'])('%s', async (kind) => {
    let writer: MediaRepository;
    let renamer: MediaRepository;
    if (kind === 'memory') {
      writer = renamer = new MemoryMediaRepository();
    } else if (kind === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'wp-owner-sqlite-'));
      dirs.push(dir);
      const store = SqliteStore.open(dir);
      stores.push(store);
      writer = renamer = new SqliteMediaRepository(store);
    } else {
      const a = new Redis(redis.url);
      const b = new Redis(redis.url);
      clients.push(a, b);
      writer = new RedisMediaRepository(a);
      renamer = new RedisMediaRepository(b);
    }
    const r = record();
    await writer.insert(r);
    const writes: Promise<unknown>[] = [];
    for (let i = 1; i <= 200; i++) {
      writes.push(writer.update(r.id, { progress: i / 200, ...(i === 200 ? { hlsPlayable: true } : {}) }));
      if (i % 20 === 0) writes.push(renamer.update(r.id, { title: `Title ${i}` }));
    }
    await Promise.all(writes);
    expect(await renamer.get(r.id)).toEqual({ ...r, title: 'Title 200', progress: 1, hlsPlayable: true });
  });
});
