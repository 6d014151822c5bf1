import { randomBytes } from 'node:crypto';
import express from 'express';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveFile } from '../src/common/serve-file';

/** Small chunks, so every download here takes many reads through the pooled buffers. */
const CHUNK = 1000;

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; complete: boolean };

function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const fdCount = () => readdirSync('/proc/self/fd').length;

async function settle(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return check();
}

describe('serveFile sends bytes in chunks through pooled buffers (real files, real HTTP)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const data = randomBytes(250_003);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-serve-file-'));
    writeFileSync(join(dir, 'data.bin'), data);
    const app = express();
    app.get('/:name', (req, res) => serveFile(req, res, join(dir, String(req.params['name'])), 'no-cache', { readChunkBytes: CHUNK }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a whole file of many chunks, byte-exact, with its length', async () => {
    const r = await get(`${base}/data.bin`);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(data.length));
    expect(r.body.equals(data)).toBe(true);
  });

  it('many ranges at once never mix their buffers', async () => {
    const ranges = Array.from({ length: 40 }, (_, i) => {
      const start = (i * 6151) % (data.length - 20_000);
      return { start, end: start + 1 + ((i * 3571) % 19_000) };
    });
    const replies = await Promise.all(ranges.map((r) => get(`${base}/data.bin`, { range: `bytes=${r.start}-${r.end}` })));
    replies.forEach((reply, i) => {
      expect(reply.status).toBe(206);
      expect(reply.body.equals(data.subarray(ranges[i].start, ranges[i].end + 1))).toBe(true);
    });
  });

  it('a range ending at the last byte, and one byte', async () => {
    const tail = await get(`${base}/data.bin`, { range: `bytes=${data.length - CHUNK - 1}-` });
    expect(tail.body.equals(data.subarray(data.length - CHUNK - 1))).toBe(true);
    const one = await get(`${base}/data.bin`, { range: 'bytes=7-7' });
    expect(one.body.equals(data.subarray(7, 8))).toBe(true);
  });

  it('a client gone mid-download leaves no descriptor open', async () => {
    const before = fdCount();
    await Promise.all(
      Array.from({ length: 5 }, () =>
        new Promise<void>((resolve) => {
          const req = httpRequest(`${base}/data.bin`, { agent: false }, (res) => {
            res.once('data', () => req.destroy());
            res.on('error', () => undefined);
            res.on('close', () => resolve());
          });
          req.on('error', () => resolve());
          req.end();
        }),
      ),
    );
    expect(await settle(() => fdCount() <= before)).toBe(true);
  });

  it('a file cut short while it is sent: the response is cut, never padded, and the descriptor closed', async () => {
    // Larger than loopback's socket buffers: with the client paused, the server is mid-file.
    const size = 24 * 1024 * 1024;
    writeFileSync(join(dir, 'shrinks.bin'), Buffer.alloc(size, 1));
    const before = fdCount();
    const reply = await new Promise<{ bytes: number; complete: boolean }>((resolve) => {
      const req = httpRequest(`${base}/shrinks.bin`, { agent: false }, (res) => {
        let bytes = 0;
        res.once('data', () => {
          res.pause();
          setTimeout(() => {
            truncateSync(join(dir, 'shrinks.bin'), 10);
            res.resume();
          }, 200);
        });
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ bytes, complete: res.complete }));
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(reply.complete).toBe(false);
    expect(reply.bytes).toBeLessThan(size);
    expect(await settle(() => fdCount() <= before)).toBe(true);
  });
});
