import type { Media } from '@watch-party/contracts';
import { Redis } from 'ioredis';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STALE_INCOMING_MS } from '../src/media/media-storage';
import { makeClip } from './clips';
import { type BuiltReplica, cpuMs, fdCount, HEALTH_MS, httpRequest, refusalCount, rssKiB, startBuiltReplica, type Watch, watch } from './built-replica';
import { loopStalls, loopStallsEnv } from './loop-stalls';
import { type RedisServer, startRedis } from './redis-server';

const BOUNDARY = 'wp-abort-5e0c';
const MiB = 1024 * 1024;
/**
 * The most the replica's event loop may stall for its own reasons while the uploads are aborted.
 * Measured inside the replica (loop-stalls.ts) rather than as a health probe's latency: on a
 * shared test machine a probe's latency is mostly the two processes waiting for a CPU.
 */
const MAX_LOOP_STALL_MS = HEALTH_MS;
/**
 * A health probe without an answer by then is a failure. Longer than `watch`'s default: the
 * latency bound is MAX_LOOP_STALL_MS; the probes tell that health keeps answering 200.
 */
const PROBE_TIMEOUT_MS = 10_000;

/** Where in the request the client goes away. */
type AbortPoint = 'headers' | 'before-file' | 'mid-file' | 'after-file';
/** The points that leave a `.part` file open on the server until it notices the abort. */
const WRITES_FILE: AbortPoint[] = ['mid-file', 'after-file'];

/** The bytes a client sends before vanishing: always less than the declared Content-Length. */
function partialRequest(port: number, point: AbortPoint): Buffer {
  const field = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`;
  const fileHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n`;
  const data = Buffer.alloc(64 * 1024, 7);
  const body =
    point === 'headers'
      ? Buffer.alloc(0)
      : point === 'before-file'
        ? Buffer.from(field + `--${BOUNDARY}\r\nContent-Disposition: form-da`)
        : point === 'mid-file'
          ? Buffer.concat([Buffer.from(field + fileHead), data])
          : Buffer.concat([Buffer.from(fileHead), data, Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="x"\r\n\r\nha`)]);
  const head =
    `POST /api/media HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${10 * MiB}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

function openAndSend(port: number, bytes: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes, () => resolve(s)));
    s.on('error', reject);
  });
}

const incoming = (mediaDir: string) => readdirSync(join(mediaDir, '.incoming'));

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function upload(url: string, file: string, name: string) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), name);
  const res = await fetch(`${url}/api/media`, { method: 'POST', body: form });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Media & { message?: string } };
}

describe.each(['memory', 'redis'] as const)('aborted uploads against a built replica (%s)', (mode) => {
  let redis: RedisServer | null = null;
  let base: string;
  let mediaDir: string;
  let replica: BuiltReplica | null = null;
  const env = (extra: Record<string, string>) => ({
    DATA_DIR: join(base, 'data'),
    MEDIA_DIR: mediaDir,
    ...(redis ? { REDIS_URL: redis.url } : {}),
    ...extra,
  });

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'wp-abort-'));
    mediaDir = join(base, 'media');
    if (mode === 'redis') redis = await startRedis();
  });
  afterAll(async () => {
    await replica?.close('SIGTERM');
    await redis?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('closes and removes every partial upload within 5 s, answering health meanwhile with flat memory', async () => {
    replica = await startBuiltReplica({ env: env({ UPLOADS_PER_HOUR: '100000', ...loopStallsEnv(base) }) });
    const { pid, url } = replica;
    const port = Number(new URL(url).port);
    await httpRequest(`${url}/api/media`);
    await new Promise((r) => setTimeout(r, 500));
    const idleFds = fdCount(pid);
    const idleRss = rssKiB(pid) * 1024;

    const plan: AbortPoint[] = [
      ...Array<AbortPoint>(300).fill('mid-file'),
      ...(['headers', 'before-file', 'after-file'] as const).flatMap((p) => Array<AbortPoint>(20).fill(p)),
    ];
    const watching = await watch(replica, { probeTimeoutMs: PROBE_TIMEOUT_MS });
    const attackStarted = Date.now();
    const cpuBefore = cpuMs(pid);
    let report: Watch;

    const BATCH = 15;
    let attackEnded = Date.now();
    let settledFds = idleFds;
    try {
      for (let i = 0; i < plan.length; i += BATCH) {
        const batch = plan.slice(i, i + BATCH);
        const sockets = await Promise.all(batch.map((p) => openAndSend(port, partialRequest(port, p))));
        // Let the server open its files before the clients vanish.
        const files = batch.filter((p) => WRITES_FILE.includes(p)).length;
        await until('the server writes the partial files', 5000, () => incoming(mediaDir).length >= files).catch(() => undefined);
        for (const s of sockets) s.destroy();
      }
      attackEnded = Date.now();
      await until('.incoming is empty and the descriptors are back to their idle count', 5000, () => {
        settledFds = fdCount(pid);
        return incoming(mediaDir).length === 0 && settledFds <= idleFds;
      }).catch((err: Error) => {
        const sizes = incoming(mediaDir).map((f) => statSync(join(mediaDir, '.incoming', f)).size);
        throw new Error(`${err.message} (.incoming has files of ${sizes.join(', ')} bytes; ${settledFds} fds vs ${idleFds} idle)`);
      });
    } finally {
      report = await watching.stop();
    }
    const [peakRss, peakFds] = [report.peakRssKiB * 1024, report.peakFds];
    const settled = Date.now();
    const settleMs = settled - attackEnded;
    const loop = await loopStalls(base, pid, attackStarted, settled);
    const stall = loop.worstStall;
    const late = loop.worstLate;
    const attackCpuMs = cpuMs(pid) - cpuBefore;
    const afterRss = rssKiB(pid) * 1024;

    console.log(
      `${mode}: ${plan.length} aborted uploads; fds idle ${idleFds}, peak ${peakFds}, after ${settledFds} (settled in ${settleMs} ms); ` +
        `RSS idle ${Math.round(idleRss / MiB)} MiB, peak ${Math.round(peakRss / MiB)} MiB, after ${Math.round(afterRss / MiB)} MiB; ` +
        `health: ${report.probes} probes, slowest ${Math.round(report.slowestMs)} ms; ` +
        `event loop: ${loop.lateTicks} late ticks, latest ${late ? `${late.lateMs} ms (${late.cpuWaitMs} ms waiting for a CPU)` : '-'}, ` +
        `longest own stall ${stall ? `${stall.stallMs} ms (${stall.cpuMs} ms on CPU)` : '-'}; replica CPU ${Math.round(attackCpuMs)} ms`,
    );
    expect(replica.process.exitCode).toBeNull();
    expect(report.probes).toBeGreaterThanOrEqual(3);
    expect(report.failures).toEqual([]);
    expect(stall?.stallMs ?? 0).toBeLessThan(MAX_LOOP_STALL_MS);
    expect(peakRss - idleRss).toBeLessThan(300 * MiB);
    expect(readdirSync(mediaDir)).toEqual(['.incoming']);
    expect(await refusalCount(url, 'upload_aborted')).toBe(plan.length);
    expect(replica.output()).toMatch(/upload_aborted from 127\.0\.0\.1/);
  }, 60_000);

  it('clears .incoming at start and answers 429 with Retry-After past UPLOADS_PER_HOUR, failed uploads included', async () => {
    await replica?.close('SIGTERM');
    writeFileSync(join(mediaDir, '.incoming', 'stray.part'), Buffer.alloc(4096, 1));
    const longAgo = (Date.now() - STALE_INCOMING_MS - 60_000) / 1000;
    utimesSync(join(mediaDir, '.incoming', 'stray.part'), longAgo, longAgo);
    // Another replica sharing MEDIA_DIR may be receiving this one right now.
    writeFileSync(join(mediaDir, '.incoming', 'receiving.part'), Buffer.alloc(4096, 2));
    // The hourly upload counter outlives a restart (Redis, or the SQLite store): start it afresh.
    if (redis) {
      const r = new Redis(redis.url);
      await r.flushall();
      r.disconnect();
    }
    replica = await startBuiltReplica({ env: env({ UPLOADS_PER_HOUR: '2', ...(redis ? {} : { DATA_DIR: join(base, 'data-fresh') }) }) });
    // Alone on MEDIA_DIR everything goes; shared through Redis, only what is stale.
    expect(incoming(mediaDir)).toEqual(redis ? ['receiving.part'] : []);
    rmSync(join(mediaDir, '.incoming', 'receiving.part'), { force: true });

    const dir = mkdtempSync(join(tmpdir(), 'wp-rate-'));
    try {
      writeFileSync(join(dir, 'junk.mp4'), Buffer.alloc(10_000, 'junk '));
      const clip = makeClip({ width: 160, height: 120, seconds: 1, audio: false });
      expect((await upload(replica.url, join(dir, 'junk.mp4'), 'junk.mp4')).status).toBe(415);
      expect((await upload(replica.url, clip, 'ok.mp4')).status).toBe(201);
      const third = await upload(replica.url, clip, 'again.mp4');
      expect(third.status).toBe(429);
      expect(Number(third.retryAfter)).toBeGreaterThan(3000);
      expect(third.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/UPLOADS_PER_HOUR/) });
      expect(await refusalCount(replica.url, 'upload_rate')).toBe(1);
      expect(incoming(mediaDir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
