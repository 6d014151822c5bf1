import type { CreatedLiveShow, LiveShow, Media } from '@watch-party/contracts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type ApiInstance, type ClientSocket, connect, partyWith, request, startApi } from './api-instance';
import { freePort } from './free-port';
import { RtmpTestClient } from './rtmp-client';
import {
  connectIngest,
  createShow,
  getShow,
  type IngestSocket,
  makeWebm,
  type Publisher,
  publishRtmp,
  sendPaced,
  sleep,
  waitForShow,
} from './live-helpers';

const GRACE_MS = 1500;
/** LIVE_ENDED_LINGER_MS: how long the ended playlist stays served. */
const ENDED_LINGER_MS = 4000;

describe('live shows: RTMP and browser ingest, HLS, recordings (real ffmpeg)', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let rtmpPort: number;
  const publishers: Publisher[] = [];
  const sockets: (IngestSocket | ClientSocket)[] = [];
  const rtmp = (key: string) => `rtmp://127.0.0.1:${rtmpPort}/live/${key}`;

  beforeAll(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-live-media-'));
    rtmpPort = await freePort();
    srv = await startApi({
      MEDIA_DIR: mediaDir,
      RTMP_PORT: String(rtmpPort),
      LIVE_PUBLISHER_GRACE_MS: String(GRACE_MS),
      LIVE_ENDED_LINGER_MS: String(ENDED_LINGER_MS),
    });
  });
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
  });
  afterAll(async () => {
    await srv.close();
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('creates a scheduled show with a secret key, a party hosted by the creator, and ingest details', async () => {
    const res = await api<Record<string, unknown>>(srv.url, '/api/live', { body: { title: '  Launch day  ', creatorName: 'Cleo' } });
    expect(res.status).toBe(201);
    const created = res.body as unknown as CreatedLiveShow;
    expect(created.show).toMatchObject({
      title: 'Launch day',
      creatorName: 'Cleo',
      status: 'scheduled',
      startedAt: null,
      viewerCount: 0,
      hlsUrl: null,
    });
    expect(created.streamKey).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(created.ingest).toEqual({ rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live`, wsPath: '/live-ingest' });
    expect(JSON.stringify(await getShow(srv.url, created.show.id))).not.toContain(created.streamKey);

    const session = await api<{ source: unknown; name: string }>(srv.url, `/api/sessions/${created.show.sessionId}`);
    expect(session.body).toMatchObject({ name: 'Launch day', source: { kind: 'live', showId: created.show.id } });
    const host = await connect(srv.url, created.token);
    sockets.push(host.socket);
    expect(host.snapshot.you).toMatchObject({ role: 'host', name: 'Cleo' });

    expect((await api(srv.url, `/api/live/${created.show.id}/hls/index.m3u8`)).status).toBe(404);
    expect((await api(srv.url, '/api/live/AAAAAAAAAAAAAAAA')).status).toBe(404);
  });

  it.each([
    [{}],
    [{ title: '', creatorName: 'Cleo' }],
    [{ title: 'x'.repeat(121), creatorName: 'Cleo' }],
    [{ title: 'Show', creatorName: 'x'.repeat(33) }],
    [{ title: 'Show', creatorName: 'Cleo', extra: 1 }],
  ])('refuses a bad body %j with 400', async (body) => {
    const res = await api<{ statusCode: number; message: string }>(srv.url, '/api/live', { body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
  });

  it('goes live from RTMP within 10 s: playlist with PROGRAM-DATE-TIME, immutable segments, viewers counted', async () => {
    const created = await createShow(srv.url, 'RTMP show');
    const id = created.show.id;
    const t0 = Date.now();
    publishers.push(publishRtmp(rtmp(created.streamKey)));
    const live = await waitForShow(srv.url, id, (s) => s.status === 'live' && s.hlsUrl !== null, 10_000);
    console.log(`RTMP publish -> playable live HLS in ${Date.now() - t0} ms`);
    expect(live.hlsUrl).toBe(`/api/live/${id}/hls/index.m3u8`);
    expect(live.startedAt).not.toBeNull();
    // Stream health for the creator: output bit rate, 1 s segments (= keyframe interval), fresh.
    const { health } = await getShow(srv.url, id);
    expect(health?.kbps).toBeGreaterThan(20);
    expect(health?.segmentSeconds).toBeGreaterThan(0.9);
    expect(health?.segmentSeconds).toBeLessThan(1.2);
    expect(health?.lastSegmentAgeMs).toBeLessThan(3000);

    const res = await fetch(`${srv.url}${live.hlsUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('mpegurl');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const playlist = await res.text();
    expect(playlist).toContain('#EXT-X-TARGETDURATION:1');
    expect(playlist).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(playlist).not.toContain('#EXT-X-ENDLIST');
    const pdt = /#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(playlist)?.[1];
    expect(Math.abs(Date.parse(pdt ?? '') - Date.now())).toBeLessThan(10_000);
    const segment = /^(seg_\d+\.ts)$/m.exec(playlist)?.[1];
    expect(segment).toBeDefined();
    const seg = await fetch(`${srv.url}/api/live/${id}/hls/${segment}`);
    expect(seg.status).toBe(200);
    expect(seg.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await seg.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    for (const name of ['..%2F..%2Fetc%2Fpasswd', 'rec_1.ts', 'seg_1.ts.bak', 'seg_%2F1.ts', 'index.m3u8.tmp']) {
      expect((await api(srv.url, `/api/live/${id}/hls/${name}`)).status).toBe(404);
    }

    // Viewers: sockets in the show's party, the creator not counted.
    const creator = await connect(srv.url, created.token);
    const { guests } = await joinAs(srv.url, live.sessionId, ['Vi', 'Wes']);
    const v1 = await connect(srv.url, guests[0]);
    const v2 = await connect(srv.url, guests[1]);
    sockets.push(creator.socket, v1.socket, v2.socket);
    expect((await getShow(srv.url, id)).viewerCount).toBe(2);
    // Players that only poll the playlist (VLC, a TV, no chat) count too.
    for (const ua of ['VLC/3.0.18 LibVLC/3.0.18', 'AppleCoreMedia/1.0', 'GStreamer souphttpsrc']) {
      expect((await fetch(`${srv.url}${live.hlsUrl}`, { headers: { 'user-agent': ua } })).status).toBe(200);
    }
    expect((await getShow(srv.url, id)).viewerCount).toBe(4); // three players + this test's own fetches
    // The creator's preview is not an audience member.
    expect((await fetch(`${srv.url}${live.hlsUrl}?preview=1`, { headers: { 'user-agent': 'creator preview' } })).status).toBe(200);
    expect((await getShow(srv.url, id)).viewerCount).toBe(4);
    expect(await request(v1.socket, 'chat:send', { text: 'hello live' })).toMatchObject({ ok: true });

    const list = (await api<LiveShow[]>(srv.url, '/api/live')).body;
    expect(list[0].id).toBe(id);
  });

  it('refuses a wrong key on RTMP and on /live-ingest, and a second publisher on the same key', async () => {
    const created = await createShow(srv.url, 'One publisher');
    const wrong = publishRtmp(rtmp('A'.repeat(43)), 5);
    const refused = await wrong.exited;
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/wrong stream key/);
    const wrongKey = { message: 'wrong stream key', data: { code: 'WRONG_STREAM_KEY' } };
    await expect(connectIngest(srv.url, 'A'.repeat(43))).rejects.toMatchObject(wrongKey);
    await expect(connectIngest(srv.url, undefined)).rejects.toMatchObject(wrongKey);

    publishers.push(publishRtmp(rtmp(created.streamKey)));
    await waitForShow(srv.url, created.show.id, (s) => s.status === 'live');
    const second = publishRtmp(rtmp(created.streamKey), 5);
    const secondResult = await second.exited;
    expect(secondResult.code).not.toBe(0);
    expect(secondResult.stderr).toMatch(/already publishing/);
    await expect(connectIngest(srv.url, created.streamKey)).rejects.toMatchObject({
      message: expect.stringMatching(/already publishing/),
      data: { code: 'ALREADY_PUBLISHING' },
    });
    expect((await getShow(srv.url, created.show.id)).status).toBe('live');
  });

  it('ends the show when the RTMP publisher stops for longer than the grace, and the recording becomes media', async () => {
    const created = await createShow(srv.url, 'Recorded show');
    const id = created.show.id;
    const pub = publishRtmp(rtmp(created.streamKey), 4);
    await waitForShow(srv.url, id, (s) => s.status === 'live');
    expect((await pub.exited).code).toBe(0);
    // Within the grace the show is still live: a publisher may come back.
    expect((await getShow(srv.url, id)).status).toBe('live');
    // Ended: the playlist stays served a while and says so (RFC 8216 6.2.1: EXT-X-ENDLIST), so
    // players stop cleanly instead of failing on a vanished playlist.
    await waitForShow(srv.url, id, (s) => s.status === 'ended', 20_000);
    let final = '';
    for (let i = 0; i < 20 && !final.includes('#EXT-X-ENDLIST'); i++) {
      const res = await fetch(`${srv.url}/api/live/${id}/hls/index.m3u8`);
      final = res.ok ? await res.text() : '';
      if (!final.includes('#EXT-X-ENDLIST')) await sleep(100);
    }
    expect(final).toContain('#EXT-X-ENDLIST');
    const lastSeg = [...final.matchAll(/^(seg_\d+\.ts)$/gm)].pop()?.[1];
    expect((await fetch(`${srv.url}/api/live/${id}/hls/${lastSeg}`)).status).toBe(200);
    // The recording is in the library as soon as it is imported, while the ended playlist still lingers.
    const ended = await waitForShow(srv.url, id, (s) => s.status === 'ended' && !!s.recordingMediaId, 20_000);
    expect(ended).toMatchObject({ hlsUrl: null, viewerCount: 0, endedAt: expect.any(String) });
    const endedAt = Date.parse(ended.endedAt ?? '');
    if (Date.now() < endedAt + ENDED_LINGER_MS - 500) {
      expect((await fetch(`${srv.url}/api/live/${id}/hls/index.m3u8`)).status).toBe(200);
      expect(readdirSync(join(mediaDir, 'live'))).toContain(id);
    }
    const media = (await api<Media>(srv.url, `/api/media/${ended.recordingMediaId}`)).body;
    expect(media).toMatchObject({ title: 'Recorded show' });
    expect(media.durationSec).toBeGreaterThan(2);
    // Then the live files go, LIVE_ENDED_LINGER_MS after the end.
    while (readdirSync(join(mediaDir, 'live')).includes(id) && Date.now() < endedAt + ENDED_LINGER_MS + 10_000) await sleep(100);
    expect(Date.now()).toBeGreaterThanOrEqual(endedAt + ENDED_LINGER_MS - 50);
    expect(readdirSync(join(mediaDir, 'live'))).not.toContain(id); // live files cleaned up
    expect((await api(srv.url, `/api/live/${id}/hls/index.m3u8`)).status).toBe(404);

    // The key is now spent: refused.
    const again = publishRtmp(rtmp(created.streamKey), 3);
    expect((await again.exited).stderr).toMatch(/ended/);
  }, 60_000);

  it('ends publishing cleanly on FCUnpublish + deleteStream: Unpublish.Success, and the client closes the connection, not us', async () => {
    const created = await createShow(srv.url, 'GStreamer-style stop');
    const id = created.show.id;
    const client = await RtmpTestClient.open(rtmpPort);
    try {
      await client.handshake();
      const started = await client.publish('live', created.streamKey);
      expect(started[3]).toMatchObject({ level: 'status', code: 'NetStream.Publish.Start' });
      expect((await getShow(srv.url, id)).status).toBe('live');
      // rtmp2sink's stop: both commands back to back, then it closes the socket itself.
      await client.command('FCUnpublish', 6, 1, null, created.streamKey);
      await client.command('deleteStream', 7, 0, null, 1);
      const done = await client.waitCommand((v) => v[0] === 'onStatus' && JSON.stringify(v).includes('Unpublish'));
      expect(done[3]).toMatchObject({ level: 'status', code: 'NetStream.Unpublish.Success' });
      // The publication is over (the show ends after the grace) while the connection stays open.
      await waitForShow(srv.url, id, (s) => s.status === 'ended', GRACE_MS + 10_000);
      expect(client.isClosed).toBe(false);
      expect(client.commands().filter((v) => v[0] === 'onStatus')).toHaveLength(2); // Start, Unpublish.Success: no error
    } finally {
      client.close();
    }
  }, 30_000);

  it('keeps the show live when the publisher comes back within the grace: the playlist stays RFC 8216 through the reconnect', async () => {
    const created = await createShow(srv.url, 'Flaky uplink');
    const id = created.show.id;
    const first = publishRtmp(rtmp(created.streamKey), 60);
    publishers.push(first);
    await waitForShow(srv.url, id, (s) => s.hlsUrl !== null);
    // Every 250 ms: the served playlist, through the reconnect, until the discontinuity left the window.
    const history: Snapshot[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${srv.url}/api/live/${id}/hls/index.m3u8`);
        if (res.ok) history.push({ at: Date.now(), ...parsePlaylist(await res.text()) });
        await sleep(250);
      }
    })();
    await sleep(2500);
    await first.stop();
    publishers.push(publishRtmp(rtmp(created.streamKey)));
    await sleep(GRACE_MS + 2500);
    expect((await getShow(srv.url, id)).status).toBe('live');
    // Long enough for the reconnect's EXT-X-DISCONTINUITY to slide out of the 6-segment window.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(history.at(-1)?.discontinuitySequence ?? 0)) await sleep(250);
    polling = false;
    await poller;

    expect(history.length).toBeGreaterThan(20);
    expect(history.some((h) => h.discontinuities.length > 0)).toBe(true);
    expect(history.at(-1)?.discontinuitySequence).toBe(1);
    for (const h of history) {
      expect(h.mediaSequence).toBe(h.segments[0]); // 6.2.1: the first listed segment's number
      expect(h.segments).toEqual([...h.segments].sort((a, b) => a - b));
    }
    for (let i = 1; i < history.length; i++) {
      const [a, b] = [history[i - 1], history[i]];
      const dropped = a.segments.filter((n) => n < b.mediaSequence);
      // Nothing renumbered: every segment still listed keeps its number and place...
      expect(b.segments.slice(0, a.segments.length - dropped.length)).toEqual(a.segments.slice(dropped.length));
      // ...the media sequence moves by exactly the segments that left...
      expect(b.mediaSequence - a.mediaSequence).toBe(dropped.length);
      // ...and the discontinuity sequence by the discontinuity tags that left with them (6.2.2).
      expect(b.discontinuitySequence - a.discontinuitySequence).toBe(dropped.filter((n) => a.discontinuities.includes(n)).length);
    }
    // 6.2.2: a segment stays available after it left the playlist (>= its duration + the
    // playlist's, ~7 s here): the first one listed left long ago, check one that left 7+ s ago.
    const leftAt = new Map<number, number>();
    for (let i = 1; i < history.length; i++) {
      for (const n of history[i - 1].segments) if (!history[i].segments.includes(n) && !leftAt.has(n)) leftAt.set(n, history[i].at);
    }
    const old = [...leftAt].filter(([, at]) => Date.now() - at >= 7000 && Date.now() - at < 9000).map(([n]) => n);
    const waitFor = old.length === 0 ? [...leftAt].find(([, at]) => Date.now() - at < 7000) : undefined;
    if (waitFor) {
      await sleep(7000 - (Date.now() - waitFor[1]));
      old.push(waitFor[0]);
    }
    expect(old.length).toBeGreaterThan(0);
    expect((await fetch(`${srv.url}/api/live/${id}/hls/seg_${old[0]}.ts`)).status).toBe(200);
  }, 90_000);

  it('packages audio-only and video-only streams, and keeps a 60 fps source at 60 fps', async () => {
    const cases = [
      { title: 'Radio show', o: { video: false }, want: { video: false, audio: true } },
      { title: 'Silent show', o: { audio: false }, want: { video: true, audio: false } },
      { title: 'Game at 60', o: { fps: 60 }, want: { video: true, audio: true, fps: 60 } },
    ] as const;
    const shows = await Promise.all(cases.map((c) => createShow(srv.url, c.title)));
    shows.forEach((created, i) => publishers.push(publishRtmp(rtmp(created.streamKey), 30, cases[i].o)));
    for (const [i, created] of shows.entries()) {
      const live = await waitForShow(srv.url, created.show.id, (s) => s.hlsUrl !== null, 20_000);
      const playlist = await (await fetch(`${srv.url}${live.hlsUrl}`)).text();
      const segment = [...playlist.matchAll(/^(seg_\d+\.ts)$/gm)].pop()?.[1];
      const bytes = Buffer.from(await (await fetch(`${srv.url}/api/live/${created.show.id}/hls/${segment}`)).arrayBuffer());
      const streams = probeStreams(bytes);
      const want = cases[i].want;
      expect({ title: cases[i].title, video: streams.some((s) => s.codec_type === 'video'), audio: streams.some((s) => s.codec_type === 'audio') }).toEqual({
        title: cases[i].title,
        video: want.video,
        audio: want.audio,
      });
      // The live list's card picture: a JPEG of the newest segment, none without video.
      const thumb = await fetch(`${srv.url}/api/live/${created.show.id}/thumbnail.jpg`);
      expect(thumb.status).toBe(want.video ? 200 : 404);
      if (want.video) {
        expect(thumb.headers.get('content-type')).toBe('image/jpeg');
        expect([...Buffer.from(await thumb.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
      }
      if ('fps' in want) {
        const [num, den] = (streams.find((s) => s.codec_type === 'video')?.avg_frame_rate ?? '0/1').split('/').map(Number);
        expect(num / den).toBeGreaterThan(want.fps - 3);
      }
    }
    // Stream health carries the output frame rate (measured from the fMP4 fragments, brought by
    // the publisher's heartbeat): none for the radio show, the source's for the others.
    for (const [i, created] of shows.entries()) {
      const want = cases[i].want;
      const show = await waitForShow(srv.url, created.show.id, (s) => s.health?.fps !== undefined && (s.health.fps !== null || !want.video), 10_000);
      console.log(`${cases[i].title}: health ${JSON.stringify(show.health)}`);
      if (!want.video) expect(show.health?.fps).toBeNull();
      // Frames over decode time, so the machine's load does not show; rounding does, a little.
      else expect(Math.abs((show.health?.fps ?? 0) - ('fps' in want ? want.fps : 30))).toBeLessThan(2);
    }
  }, 90_000);

  it('publishes from a browser over /live-ingest: webm chunks become live HLS; `end` ends the show with a recording', async () => {
    const created = await createShow(srv.url, 'Browser show');
    const id = created.show.id;
    const webm = readFileSync(makeWebm(8));
    const socket = await connectIngest(srv.url, created.streamKey);
    sockets.push(socket);
    const sending = sendPaced(socket, webm, 8);
    expect(await socket.ready).toEqual({ showId: id });
    const live = await waitForShow(srv.url, id, (s) => s.hlsUrl !== null, 10_000);
    expect((await fetch(`${srv.url}${live.hlsUrl}`)).status).toBe(200);
    await sending;
    const ack = await new Promise((r) => socket.emit('end', r));
    expect(ack).toEqual({ ok: true });
    const ended = await waitForShow(srv.url, id, (s) => s.status === 'ended' && !!s.recordingMediaId, 20_000);
    const media = (await api<Media>(srv.url, `/api/media/${ended.recordingMediaId}`)).body;
    expect(media.durationSec).toBeGreaterThan(3);
    await expect(connectIngest(srv.url, created.streamKey)).rejects.toMatchObject({ data: { code: 'SHOW_ENDED' } });
  }, 60_000);

  it('takes 512 KiB chunks on /live-ingest, cuts a publisher over the bitrate cap, and still cuts a 70 KiB frame on /', async () => {
    const created = await createShow(srv.url, 'Firehose');
    const socket = await connectIngest(srv.url, created.streamKey);
    sockets.push(socket);
    const stopped = new Promise<{ reason: string }>((r) => socket.once('ingest:stopped', r));
    const first = await new Promise<{ ok: boolean }>((r) => socket.emit('chunk', Buffer.alloc(512 * 1024, 1), r));
    expect(first.ok).toBe(true);
    expect(socket.connected).toBe(true);
    // 10 MiB at once: above the default LIVE_MAX_KBPS (12000 kbit/s x 5 s = 7.5 MB).
    for (let i = 0; i < 19; i++) socket.emit('chunk', Buffer.alloc(512 * 1024, 2));
    expect((await stopped).reason).toMatch(/ingest above the 12000 kbit\/s limit \(LIVE_MAX_KBPS\)/);

    // Over 1 MiB on /live-ingest: cut at the transport.
    const created2 = await createShow(srv.url, 'Too big');
    const big = await connectIngest(srv.url, created2.streamKey);
    sockets.push(big);
    const cut = new Promise<string>((r) => big.once('disconnect', (reason) => r(reason)));
    big.emit('chunk', Buffer.alloc(1024 * 1024 + 1024));
    expect(await cut).toMatch(/transport/);

    // The default namespace keeps its 64 KiB limit, also for binary attachments.
    const { host } = await partyWith(srv.url, []);
    const h = await connect(srv.url, host.token);
    sockets.push(h.socket);
    const cutDefault = new Promise<string>((r) => h.socket.once('disconnect', (reason) => r(reason)));
    (h.socket.emit as unknown as (e: string, p: unknown, a: () => void) => void)('chat:send', { text: Buffer.alloc(70 * 1024) }, () => undefined);
    expect(await cutDefault).toMatch(/transport/);
  }, 30_000);

  it('lets the creator end a show with its key (403 with a wrong one); lists live first, then scheduled, then ended', async () => {
    const a = await createShow(srv.url, 'Scheduled A');
    const b = await createShow(srv.url, 'Ended B');
    expect((await api(srv.url, `/api/live/${b.show.id}/end`, { body: { streamKey: a.streamKey } })).status).toBe(403);
    const ended = await api<LiveShow>(srv.url, `/api/live/${b.show.id}/end`, { body: { streamKey: b.streamKey } });
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe('ended');
    const c = await createShow(srv.url, 'Live C');
    publishers.push(publishRtmp(rtmp(c.streamKey)));
    await waitForShow(srv.url, c.show.id, (s) => s.status === 'live');
    const list = (await api<LiveShow[]>(srv.url, '/api/live')).body;
    const rank = { live: 0, scheduled: 1, ended: 2 };
    expect(list.map((s) => rank[s.status])).toEqual([...list.map((s) => rank[s.status])].sort());
    const ids = list.map((s) => s.id);
    expect(ids.indexOf(c.show.id)).toBeLessThan(ids.indexOf(a.show.id));
    expect(ids.indexOf(a.show.id)).toBeLessThan(ids.indexOf(b.show.id));
    const scheduled = list.filter((s) => s.status === 'scheduled');
    expect(scheduled.map((s) => s.createdAt)).toEqual([...scheduled.map((s) => s.createdAt)].sort().reverse());
  }, 30_000);
});

async function joinAs(base: string, sessionId: string, names: string[]) {
  const guests: string[] = [];
  for (const name of names) {
    const res = await api<{ token: string }>(base, `/api/sessions/${sessionId}/participants`, { body: { name } });
    guests.push(res.body.token);
  }
  return { guests };
}

interface Snapshot {
  at: number;
  mediaSequence: number;
  discontinuitySequence: number;
  segments: number[];
  /** Segments preceded by EXT-X-DISCONTINUITY. */
  discontinuities: number[];
}

/** A deliberately independent reading of the served playlist (not the server's own parser). */
function parsePlaylist(text: string): Omit<Snapshot, 'at'> {
  const out = { mediaSequence: -1, discontinuitySequence: 0, segments: [] as number[], discontinuities: [] as number[] };
  let disc = false;
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^#EXT-X-MEDIA-SEQUENCE:(\d+)$/.exec(line))) out.mediaSequence = Number(m[1]);
    else if ((m = /^#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)$/.exec(line))) out.discontinuitySequence = Number(m[1]);
    else if (line === '#EXT-X-DISCONTINUITY') disc = true;
    else if ((m = /^seg_(\d+)\.ts$/.exec(line))) {
      out.segments.push(Number(m[1]));
      if (disc) out.discontinuities.push(Number(m[1]));
      disc = false;
    }
  }
  return out;
}

/** ffprobe's streams of a media file given as bytes. */
function probeStreams(bytes: Buffer): { codec_type: string; avg_frame_rate?: string }[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,avg_frame_rate', '-of', 'json', '-i', 'pipe:0'], { input: bytes });
  return (JSON.parse(out.toString()) as { streams: { codec_type: string; avg_frame_rate?: string }[] }).streams;
}
