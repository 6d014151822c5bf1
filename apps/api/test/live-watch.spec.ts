import { LIVE_WATCH_NAMESPACE } from '@watch-party/contracts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { type ApiInstance, api, startApi } from './api-instance';
import { freePort } from './free-port';
import { createShow, getShow, type Publisher, publishRtmp, sleep, waitForShow } from './live-helpers';
import { type RedisServer, startRedis } from './redis-server';

interface Received {
  at: number;
  kind: 'init' | 'fragment' | 'end';
  seq?: number;
  keyframe?: boolean;
  codecs?: string;
  data?: Buffer;
}

/** A /live-watch viewer recording everything it gets. */
function watch(base: string, showId: string, preview = false): { socket: Socket; got: Received[]; ready: Promise<void> } {
  const auth = preview ? { showId, preview: true } : { showId };
  const socket = io(`${base}${LIVE_WATCH_NAMESPACE}`, { transports: ['websocket'], auth, reconnection: false });
  const got: Received[] = [];
  socket.on('live:init', (p: { codecs: string; data: Buffer }) => got.push({ at: Date.now(), kind: 'init', codecs: p.codecs, data: Buffer.from(p.data) }));
  socket.on('live:fragment', (p: { seq: number; keyframe: boolean; data: Buffer }) =>
    got.push({ at: Date.now(), kind: 'fragment', seq: p.seq, keyframe: p.keyframe, data: Buffer.from(p.data) }),
  );
  socket.on('live:end', () => got.push({ at: Date.now(), kind: 'end' }));
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, got, ready };
}

async function until(check: () => boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('live over WebSocket (/live-watch): two replicas, Redis, no shared disk, real ffmpeg', () => {
  let redis: RedisServer;
  let a: ApiInstance;
  let b: ApiInstance;
  const dirs: string[] = [];
  let rtmpPort: number;
  const publishers: Publisher[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    rtmpPort = await freePort();
    const dir = () => {
      const d = mkdtempSync(join(tmpdir(), 'wp-live-watch-'));
      dirs.push(d);
      return d;
    };
    const common = { REDIS_URL: redis.url, APP_SECRET: 'w'.repeat(32), LIVE_PUBLISHER_GRACE_MS: '3000', LIVE_ENDED_LINGER_MS: '1000' };
    a = await startApi({ ...common, MEDIA_DIR: dir(), RTMP_PORT: String(rtmpPort) });
    b = await startApi({ ...common, MEDIA_DIR: dir() }); // its own disk: it only has what Redis relays
  });
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("a viewer on the other replica gets the init, then fragments every <= 500 ms from a keyframe; a late joiner starts at the latest keyframe; both play; live:end at the end", async () => {
    const created = await createShow(a.url, 'Sub-second show');
    const id = created.show.id;
    publishers.push(publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${created.streamKey}`));
    await waitForShow(a.url, id, (s) => s.status === 'live', 10_000);

    const early = watch(b.url, id);
    sockets.push(early.socket);
    await early.ready;
    await until(() => early.got.filter((g) => g.kind === 'fragment').length >= 12, 20_000, '12 fragments on replica B');
    const late = watch(b.url, id);
    sockets.push(late.socket);
    await late.ready;
    // The creator's own preview watches too, and is not an audience member.
    const preview = watch(a.url, id, true);
    sockets.push(preview.socket);
    await preview.ready;
    await until(() => late.got.filter((g) => g.kind === 'fragment').length >= 4, 10_000, 'a late joiner');

    for (const viewer of [early, late]) {
      const [init, ...rest] = viewer.got;
      expect(init.kind).toBe('init');
      expect(init.codecs).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      const fragments = rest.filter((g) => g.kind === 'fragment');
      expect(fragments[0].keyframe).toBe(true); // starts where a decoder can
      const seqs = fragments.map((f) => f.seq ?? 0);
      expect(seqs.slice(1).every((s, i) => s === seqs[i] + 1)).toBe(true); // nothing skipped for a fast viewer
      // What it got plays: init + fragments decode without an error.
      const tmp = mkdtempSync(join(tmpdir(), 'wp-live-watch-play-'));
      dirs.push(tmp);
      writeFileSync(join(tmp, 'got.mp4'), Buffer.concat([init.data as Buffer, ...fragments.map((f) => f.data as Buffer)]));
      execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', join(tmp, 'got.mp4'), '-f', 'null', '-']);
    }
    // Fragments arrive at least every ~500 ms (their length), measured on the steady viewer.
    const times = early.got.filter((g) => g.kind === 'fragment').map((g) => g.at).slice(2);
    const gaps = times.slice(1).map((t, i) => t - times[i]).sort((x, y) => x - y);
    console.log(`/live-watch on the other replica: fragment gaps p50 ${gaps[gaps.length >> 1]} ms, max ${gaps.at(-1)} ms`);
    expect(gaps[gaps.length >> 1]).toBeLessThanOrEqual(600);

    // Everyone watching counts: two WebSocket viewers (the party has none), not the preview.
    expect(preview.got.some((g) => g.kind === 'init')).toBe(true);
    expect((await getShow(a.url, id)).viewerCount).toBe(2);

    const ended = await api(a.url, `/api/live/${id}/end`, { body: { streamKey: created.streamKey } });
    expect(ended.status).toBe(200);
    await until(() => early.got.some((g) => g.kind === 'end') && late.got.some((g) => g.kind === 'end'), 10_000, 'live:end on both');
  }, 90_000);

  it('refuses a show that does not exist or is not live, with a code', async () => {
    const scheduled = await createShow(a.url, 'Not yet');
    for (const [showId, code] of [
      ['AAAAAAAAAAAAAAAA', 'SHOW_NOT_FOUND'],
      [scheduled.show.id, 'SHOW_NOT_LIVE'],
      [42, 'SHOW_NOT_FOUND'],
    ] as const) {
      const viewer = watch(b.url, showId as string);
      sockets.push(viewer.socket);
      await expect(viewer.ready).rejects.toMatchObject({ data: { code } });
    }
  });
});
