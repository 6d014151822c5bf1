import type { Media, UploadedMedia } from '@watch-party/contracts';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { MediaRepository } from '../src/media/media.repository';
import { api, filesIn, startApi, waitForMedia } from './api-instance';
import { makeClip } from './clips';

/*
 * MEDIA_QUOTA_BYTES: originals, posters and renditions together. An upload that would pass it
 * is refused with 507 (counted as upload_too_large) and leaves nothing on disk.
 */

type Answer = UploadedMedia & { message?: string; statusCode?: number; error?: string };

async function upload(base: string, file: string) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Answer };
}

async function refusals(base: string, reason: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(new RegExp(`^wp_refusals_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}



async function withQuota(quota: number, test: (url: string, mediaDir: string, app: Awaited<ReturnType<typeof startApi>>['app']) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'wp-quota-'));
  const mediaDir = join(dir, 'media');
  const srv = await startApi({ DATA_DIR: join(dir, 'data'), MEDIA_DIR: mediaDir, UPLOADS_PER_HOUR: '1000', MEDIA_QUOTA_BYTES: String(quota) });
  try {
    await test(srv.url, mediaDir, srv.app);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('MEDIA_QUOTA_BYTES', () => {
  let clip: string;
  let size: number;
  beforeAll(() => {
    clip = makeClip({ width: 320, height: 240, seconds: 2, audio: false, name: 'quota.mp4' });
    size = statSync(clip).size;
  });

  it('one byte too small: 507 JSON while the file streams in, counted, nothing left on disk', async () => {
    await withQuota(size - 1, async (url, mediaDir) => {
      const res = await upload(url, clip);
      expect([res.status, res.type]).toEqual([507, 'application/json; charset=utf-8']);
      expect(res.body).toEqual({
        statusCode: 507,
        error: 'Insufficient Storage',
        message: `the library would pass its storage quota of ${size - 1} bytes (MEDIA_QUOTA_BYTES; 0 bytes in use): delete something first`,
      });
      expect(await refusals(url, 'media_quota')).toBe(1);
      expect(filesIn(mediaDir)).toEqual([]);
      expect((await api<Media[]>(url, '/api/media')).body).toEqual([]);
    });
  }, 30_000);

  it('a Content-Length past the quota: 507 before the body is read', async () => {
    await withQuota(size, async (url, mediaDir) => {
      const port = Number(new URL(url).port);
      const status = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () =>
          s.write(`POST /api/media HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=q\r\nContent-Length: ${size + 1024 * 1024}\r\n\r\n`),
        );
        let got = '';
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Error(`no answer before the body: ${got}`));
        }, 5000);
        s.on('data', (d: Buffer) => {
          got += d.toString();
          if (!got.includes('\r\n\r\n')) return;
          clearTimeout(timer);
          s.destroy();
          resolve(got.split('\r\n')[0]);
        });
        s.on('error', reject);
      });
      expect(status).toBe('HTTP/1.1 507 Insufficient Storage');
      expect(await refusals(url, 'media_quota')).toBe(1);
      expect(filesIn(mediaDir)).toEqual([]);
    });
  }, 30_000);

  it('exactly enough: 201; then the renditions count too, and deleting frees the space', async () => {
    await withQuota(size, async (url, mediaDir, app) => {
      const first = await upload(url, clip);
      expect(first.status).toBe(201);
      expect(first.body.sizeBytes).toBe(size);
      await waitForMedia(url, first.body.id, (m) => m.status === 'ready');
      const stored = await app.get(MediaRepository).get(first.body.id);
      const onDisk = filesIn(join(mediaDir, first.body.id)).reduce((n, f) => n + statSync(f).size, 0);
      expect(stored?.diskBytes).toBe(onDisk);
      expect(onDisk).toBeGreaterThan(size);

      const full = await upload(url, clip);
      expect([full.status, full.body.message]).toEqual([507, expect.stringContaining(`(MEDIA_QUOTA_BYTES; ${onDisk} bytes in use)`)]);
      expect(filesIn(join(mediaDir, '.incoming'))).toEqual([]);

      const del = await fetch(`${url}/api/media/${first.body.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${first.body.ownerKey}` } });
      expect(del.status).toBe(204);
      const again = await upload(url, clip);
      expect(again.status).toBe(201);
      expect(await refusals(url, 'media_quota')).toBe(1);
    });
  }, 60_000);

  it('two uploads that each fit but not together, at once: one 201, one 507, one item on disk', async () => {
    await withQuota(Math.floor(size * 1.5), async (url, mediaDir) => {
      const answers = await Promise.all([upload(url, clip), upload(url, clip)]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 507]);
      const kept = answers.find((a) => a.status === 201)?.body.id;
      expect(readdirSync(mediaDir).sort()).toEqual(['.incoming', kept].sort());
      expect(readdirSync(join(mediaDir, '.incoming'))).toEqual([]);
      expect((await api<Media[]>(url, '/api/media')).body.map((m) => m.id)).toEqual([kept]);
    });
  }, 30_000);
});
