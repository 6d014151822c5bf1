import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type ApiInstance, type ClientSocket, connect, startApi } from './api-instance';
import { freePort } from './free-port';
import { connectIngest, createShow, getShow, type Publisher, publishRtmp, waitForShow } from './live-helpers';
import { type RedisServer, startRedis } from './redis-server';

/** Two replicas sharing Redis and MEDIA_DIR, each with its own RTMP port. */
describe('live shows across replicas (Redis)', () => {
  let redis: RedisServer;
  let mediaDir: string;
  let a: ApiInstance;
  let b: ApiInstance;
  let rtmpA: number;
  const sockets: ClientSocket[] = [];
  const publishers: Publisher[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-live-replicas-'));
    rtmpA = await freePort();
    const env = { REDIS_URL: redis.url, MEDIA_DIR: mediaDir, APP_SECRET: 'x'.repeat(32), LIVE_PUBLISHER_GRACE_MS: '1500', LIVE_ENDED_LINGER_MS: '1000' };
    a = await startApi({ ...env, RTMP_PORT: String(rtmpA) });
    b = await startApi({ ...env, RTMP_PORT: String(await freePort()) });
  }, 60_000);
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(publishers.map((p) => p.stop()));
    await new Promise((r) => setTimeout(r, 300)); // let the clients' close handshakes finish
    await a?.close();
    await b?.close();
    await redis?.close();
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('serves a show published on one replica from the other, counts viewers on both, one publisher per key', async () => {
    const created = await createShow(b.url, 'Cluster show');
    const id = created.show.id;
    const pub = publishRtmp(`rtmp://127.0.0.1:${rtmpA}/live/${created.streamKey}`, 60);
    publishers.push(pub);
    const live = await waitForShow(b.url, id, (s) => s.hlsUrl !== null, 10_000);
    const playlist = await fetch(`${b.url}${live.hlsUrl}`);
    expect(playlist.status).toBe(200);
    const segment = /^(seg_\d+\.ts)$/m.exec(await playlist.text())?.[1];
    expect((await fetch(`${b.url}/api/live/${id}/hls/${segment}`)).status).toBe(200);

    // A second publisher through the other replica is refused.
    await expect(connectIngest(b.url, created.streamKey)).rejects.toMatchObject({
      message: expect.stringMatching(/already publishing/),
      data: { code: 'ALREADY_PUBLISHING' },
    });

    // Viewers on both replicas are counted once each, the creator not at all.
    const joinOn = async (base: string, name: string) =>
      (await api<{ token: string }>(base, `/api/sessions/${live.sessionId}/participants`, { body: { name } })).body.token;
    const v1 = await connect(a.url, await joinOn(a.url, 'On A'));
    const v2 = await connect(b.url, await joinOn(b.url, 'On B'));
    const creator = await connect(a.url, created.token);
    sockets.push(v1.socket, v2.socket, creator.socket);
    expect((await getShow(a.url, id)).viewerCount).toBe(2);
    expect((await getShow(b.url, id)).viewerCount).toBe(2);

    // The publisher stops: the show ends (once) and its recording becomes media on the shared store.
    await pub.stop();
    const ended = await waitForShow(a.url, id, (s) => s.status === 'ended' && !!s.recordingMediaId, 30_000);
    expect((await api(b.url, `/api/media/${ended.recordingMediaId}`)).status).toBe(200);
    const media = (await api<{ id: string }[]>(b.url, '/api/media')).body.filter((m) => m.id === ended.recordingMediaId);
    expect(media).toHaveLength(1);
    // Transcoded like an upload (by whichever replica takes the job).
    const deadline = Date.now() + 60_000;
    let status = '';
    while (status !== 'ready' && Date.now() < deadline) {
      status = (await api<{ status: string }>(a.url, `/api/media/${ended.recordingMediaId}`)).body.status;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('ready');
  }, 90_000);
});
