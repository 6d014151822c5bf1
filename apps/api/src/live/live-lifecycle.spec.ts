import { ForbiddenException, Logger, NotFoundException } from '@nestjs/common';
import { LIVE_INGEST_NAMESPACE, type LiveShow } from '@watch-party/contracts';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Clock, type Timer } from '../common/clock';
import { newId } from '../common/ids';
import { afterFileWork } from '../common/testing/after-file-work';
import { FakeClock } from '../common/testing/fake-clock';
import { type AppConfig, loadConfig } from '../config/app-config';
import { FakeMediaImporter } from '../media/testing/fake-media-importer';
import type { Metrics } from '../ops/metrics';
import { LiveRefusal, type LiveRefusalCode, LOCK_TTL_MS } from './live-ingest.service';
import { HEARTBEAT_MS, type Publication } from './live-publication';
import type { LiveShows } from './live-shows.service';
import { SCHEDULED_TTL_MS } from './live-sweeper';
import { THUMBNAIL_MAX_AGE_MS } from './live-thumbnails';
import { HLS_VIEWER_WINDOW_MS } from './live-viewers';
import { MemoryLiveRepository } from './live.repository';
import { FakeLiveParties } from './testing/fake-live-parties';
import { type LiveParts, liveParts } from './testing/live-kit';
import { MemoryLiveStorage } from './testing/memory-live-storage';

/** LIVE_PUBLISHER_GRACE_MS as configured below. */
const GRACE_MS = 15_000;
/** The sweeper's period for that grace (half of it, at most a second). */
const SWEEP_MS = 1000;
/** LIVE_MAX_KBPS below: 100 kB/s, so 500 kB over the 5 s window. */
const MAX_KBPS = 800;
const WINDOW_BYTES = (MAX_KBPS * 1000 * 5) / 8;

/**
 * One replica's view of the shared clock: a replica that is paused (or killed) runs none of
 * its timers, as a frozen or dead process would, while time goes on for everyone else.
 */
class ReplicaClock extends Clock {
  private paused = false;

  constructor(private readonly base: FakeClock) {
    super();
  }

  now(): number {
    return this.base.now();
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.base.setTimeout(() => this.paused || fn(), ms);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.base.setInterval(() => this.paused || fn(), ms);
  }

  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
  }
}

/** The calls clients make, whichever part answers them. */
function clientFacing(p: LiveParts) {
  return {
    create: p.shows.create.bind(p.shows),
    list: p.shows.list.bind(p.shows),
    get: p.shows.get.bind(p.shows),
    end: p.shows.end.bind(p.shows),
    endByAdmin: p.shows.endByAdmin.bind(p.shows),
    endByCreator: p.shows.endByCreator.bind(p.shows),
    openPublisher: p.ingest.openPublisher.bind(p.ingest),
    sawHlsViewer: p.viewers.sawHlsViewer.bind(p.viewers),
    thumbnail: p.thumbnails.thumbnail.bind(p.thumbnails),
  };
}

interface Replica extends LiveParts {
  live: ReturnType<typeof clientFacing>;
  clock: ReplicaClock;
}

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

async function refusalOf(attempt: Promise<unknown>): Promise<{ code: LiveRefusalCode; message: string }> {
  try {
    await attempt;
  } catch (err) {
    if (err instanceof LiveRefusal) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('the publisher was accepted');
}

/** A publication and the reasons it was cut with. */
function watched(publication: Publication) {
  const kicks: string[] = [];
  publication.onKick((reason) => kicks.push(reason));
  return { publication, kicks };
}

async function refusalCount(metrics: Metrics, reason: string): Promise<number> {
  return (await metrics.refusals.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('the live show lifecycle (shows, ingest, recorder, sweeper together)', () => {
  let config: AppConfig;
  let storage: MemoryLiveStorage;
  let clock: FakeClock;
  let repo: MemoryLiveRepository;
  let parties: FakeLiveParties;
  let library: FakeMediaImporter;
  let replicas: Replica[];

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    config = loadConfig({
      DATA_DIR: '/nonexistent/data',
      MEDIA_DIR: '/nonexistent/media',
      STORE: 'memory',
      RTMP_PORT: '0',
      LIVE_PUBLISHER_GRACE_MS: String(GRACE_MS),
      LIVE_ENDED_LINGER_MS: '0',
      LIVE_MAX_KBPS: String(MAX_KBPS),
    });
    clock = new FakeClock();
    storage = new MemoryLiveStorage(clock);
    repo = new MemoryLiveRepository(clock);
    parties = new FakeLiveParties();
    library = new FakeMediaImporter();
    replicas = [];
  });

  afterEach(async () => {
    for (const r of replicas) {
      r.clock.resume();
      const stopped = r.lifecycle.beforeApplicationShutdown();
      await clock.advance(10_000);
      await stopped;
    }
  });

  /** A replica sharing the store, the parties and the library with the others; its sweeper runs. */
  async function replica(): Promise<Replica> {
    const replicaClock = new ReplicaClock(clock);
    const parts = liveParts({ repo, storage, parties, library, config }, replicaClock);
    const r = { ...parts, live: clientFacing(parts), clock: replicaClock };
    await r.lifecycle.onModuleInit();
    replicas.push(r);
    return r;
  }

  const create = (shows: Pick<LiveShows, 'create'>, title = 'Launch night') => shows.create({ title, creatorName: 'Ann' }, '203.0.113.7', 'watch.example');
  const showFolderExists = (id: string) => storage.has(storage.showDir(id));

  async function status(id: string) {
    return (await repo.get(id))?.status;
  }

  describe('creating a show', () => {
    it('issues a 256-bit stream key once and stores only its sha256', async () => {
      const { live } = await replica();
      const created = await create(live);
      expect(created.streamKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const stored = await repo.get(created.show.id);
      expect(stored?.keyHash).toBe(sha256Hex(created.streamKey));
      expect(JSON.stringify(await repo.list())).not.toContain(created.streamKey);
      const shown = JSON.stringify([await live.get(created.show.id), await live.list()]);
      expect(shown).not.toContain(created.streamKey);
      expect(shown).not.toContain(stored?.keyHash);
      expect((await create(live)).streamKey).not.toBe(created.streamKey);
    });

    it("schedules the show with a party hosted by its creator, and tells how to publish (no RTMP URL while RTMP is off)", async () => {
      const { live } = await replica();
      const title = 'T'.repeat(120);
      const created = await create(live, title);
      expect(parties.opened).toHaveLength(1);
      const [{ party, clientIp, joined }] = parties.opened;
      expect(party).toEqual({ hostName: 'Ann', name: 'T'.repeat(80), showId: created.show.id });
      expect(clientIp).toBe('203.0.113.7');
      expect(created).toMatchObject({ participantId: joined.participantId, token: joined.token });
      expect(created.ingest).toEqual({ rtmpUrl: null, wsPath: LIVE_INGEST_NAMESPACE });
      expect(created.show).toEqual<LiveShow>({
        id: created.show.id,
        title,
        creatorName: 'Ann',
        status: 'scheduled',
        startedAt: null,
        viewerCount: 0,
        hlsUrl: null,
        sessionId: joined.session.id,
        createdAt: new Date(clock.now()).toISOString(),
        endedAt: null,
        publishing: false,
      });
    });

    it('says whether a publisher is connected: false while the show waits for it to come back (interrupted)', async () => {
      const { live } = await replica();
      const created = await create(live);
      const publication = await live.openPublisher(created.streamKey, 'rtmp', 0, 'x');
      expect(await live.get(created.show.id)).toMatchObject({ status: 'live', publishing: true });
      await publication.close();
      expect(await live.get(created.show.id)).toMatchObject({ status: 'live', publishing: false });
    });

    it('counts the connected participants except the creator as viewers, and none once ended', async () => {
      const { live } = await replica();
      const created = await create(live);
      parties.connected.set(created.show.sessionId, new Set([created.participantId, 'viewer-1', 'viewer-2']));
      expect((await live.get(created.show.id)).viewerCount).toBe(2);
      await live.endByAdmin(created.show.id);
      expect((await live.get(created.show.id)).viewerCount).toBe(0);
    });

    it('counts players polling the live playlist too (VLC, a TV): the larger of party viewers and HLS viewers', async () => {
      const { live } = await replica();
      const created = await create(live);
      parties.connected.set(created.show.sessionId, new Set([created.participantId, 'viewer-1']));
      for (const ua of ['VLC/3.0', 'Safari', 'hls.js']) await live.sawHlsViewer(created.show.id, '203.0.113.7', ua);
      await live.sawHlsViewer(created.show.id, '203.0.113.7', 'VLC/3.0'); // the same player again
      expect((await live.get(created.show.id)).viewerCount).toBe(3);
      await clock.advance(HLS_VIEWER_WINDOW_MS + 1); // they stopped polling
      expect((await live.get(created.show.id)).viewerCount).toBe(1);
    });

    it('grabs a card picture from the newest segment while live: one ffmpeg per show at a time, again after 10 s, none for audio-only', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      expect(await live.thumbnail(created.show.id)).toBeNull(); // not live
      await live.openPublisher(created.streamKey, 'rtmp', 0, 'x');
      expect(await live.thumbnail(created.show.id)).toBeNull(); // no segment yet
      encoder.last.writePlaylist(3);
      const [a, b] = await Promise.all([live.thumbnail(created.show.id), live.thumbnail(created.show.id)]);
      expect(a).toMatch(/thumb\.jpg$/);
      expect(b).toBe(a);
      expect(encoder.thumbnails).toEqual([expect.stringMatching(/seg_2\.ts$/)]);
      await clock.advance(THUMBNAIL_MAX_AGE_MS - 1);
      await live.thumbnail(created.show.id);
      expect(encoder.thumbnails).toHaveLength(1); // still fresh
      await clock.advance(1);
      encoder.thumbnailVideo = false; // now audio only
      expect(await live.thumbnail(created.show.id)).toBeNull();
      expect(encoder.thumbnails).toHaveLength(2);
      expect(await live.thumbnail('../../etc')).toBeNull();
    });

    it('lists live shows first, then scheduled, then ended; newest first within each', async () => {
      const { live } = await replica();
      const ended = await create(live, 'ended');
      await clock.advance(1000);
      const olderScheduled = await create(live, 'older scheduled');
      await clock.advance(1000);
      const onAir = await create(live, 'on air');
      await clock.advance(1000);
      await create(live, 'newer scheduled');
      await live.endByAdmin(ended.show.id);
      await live.openPublisher(onAir.streamKey, 'browser', 0, '198.51.100.1');
      expect((await live.list()).map((s) => s.title)).toEqual(['on air', 'newer scheduled', olderScheduled.show.title, 'ended']);
    });
  });

  describe('publishing', () => {
    it('goes live with the right key: the first run starts packaging into the show folder', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      await clock.advance(5000);
      await live.openPublisher(created.streamKey, 'browser', 400, '198.51.100.1');
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'live', startedAt: new Date(clock.now()).toISOString(), runs: 1, lastPublisherAt: clock.now() });
      expect(encoder.last.options).toMatchObject({ dir: storage.showDir(created.show.id), input: 'probe', run: 1, startNumber: 0, inputLeadMs: 400 });
      expect(await repo.publisherHeld(created.show.id)).toBe(true);
    });

    it('refuses a wrong, malformed or missing stream key (WRONG_STREAM_KEY)', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      const wrong = { code: 'WRONG_STREAM_KEY', message: 'wrong stream key' };
      expect(await refusalOf(live.openPublisher('A'.repeat(43), 'rtmp', 0, 'x'))).toEqual(wrong);
      expect(await refusalOf(live.openPublisher(created.streamKey.slice(1), 'rtmp', 0, 'x'))).toEqual(wrong);
      expect(await refusalOf(live.openPublisher(undefined, 'browser', 0, 'x'))).toEqual(wrong);
      expect(await refusalOf(live.openPublisher(42, 'browser', 0, 'x'))).toEqual(wrong);
      expect(await status(created.show.id)).toBe('scheduled');
      expect(encoder.packagers).toHaveLength(0);
    });

    it('refuses a second publisher on the same key, on this replica or another (ALREADY_PUBLISHING)', async () => {
      const a = await replica();
      const b = await replica();
      const created = await create(a.live);
      await a.live.openPublisher(created.streamKey, 'rtmp', 0, '198.51.100.1');
      const busy = { code: 'ALREADY_PUBLISHING', message: 'this stream key is already publishing; stop the other stream first' };
      expect(await refusalOf(a.live.openPublisher(created.streamKey, 'browser', 0, '198.51.100.2'))).toEqual(busy);
      expect(await refusalOf(b.live.openPublisher(created.streamKey, 'browser', 0, '198.51.100.2'))).toEqual(busy);
      expect(a.encoder.packagers).toHaveLength(1);
      expect(b.encoder.packagers).toHaveLength(0);
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'live', runs: 1 });
    });

    it('refuses publishing without ffmpeg on the server (LIVE_UNAVAILABLE), leaving the show scheduled and its slot free', async () => {
      const { live } = await replica();
      const created = await create(live);
      library.transcodingAvailable = false;
      expect(await refusalOf(live.openPublisher(created.streamKey, 'rtmp', 0, 'x'))).toEqual({
        code: 'LIVE_UNAVAILABLE',
        message: 'live streaming is unavailable: ffmpeg is not installed on the server',
      });
      expect(await status(created.show.id)).toBe('scheduled');
      expect(await repo.publisherHeld(created.show.id)).toBe(false);
    });

    it('cuts a publisher above LIVE_MAX_KBPS averaged over 5 s, counts the refusal and frees the slot', async () => {
      const { live, metrics } = await replica();
      const created = await create(live);
      const steady = watched(await live.openPublisher(created.streamKey, 'browser', 0, '198.51.100.9'));
      // 80% of the cap for 10 s: always accepted.
      for (let s = 0; s < 10; s++) {
        expect(steady.publication.write(Buffer.alloc((WINDOW_BYTES / 5) * 0.8))).toBe(true);
        await clock.advance(1000);
      }
      // A burst past the window's allowance: cut.
      expect(steady.publication.write(Buffer.alloc(WINDOW_BYTES))).toBe(false);
      expect(steady.kicks).toEqual([`ingest above the ${MAX_KBPS} kbit/s limit (LIVE_MAX_KBPS), averaged over 5 s`]);
      expect(await refusalCount(metrics, 'live_bitrate')).toBe(1);
      await clock.flush();
      expect(await repo.publisherHeld(created.show.id)).toBe(false);
      expect(steady.publication.write(Buffer.alloc(1))).toBe(false);
    });

    it('cuts the publisher when its packager exits (undecodable input) and lets it publish again as a new run', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      const first = watched(await live.openPublisher(created.streamKey, 'browser', 0, 'x'));
      encoder.last.crash(1, 'Invalid data found when processing input');
      expect(first.kicks).toEqual(['the server could not decode this stream (H.264/AAC over RTMP, or MediaRecorder webm, are expected)']);
      await clock.flush();
      expect(await repo.publisherHeld(created.show.id)).toBe(false);
      await live.openPublisher(created.streamKey, 'rtmp', 0, 'x');
      expect(encoder.last.options).toMatchObject({ run: 2, input: 'flv' });
    });

    it('cuts a publisher the packager cannot keep up with, telling it why (never drops data silently)', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      const publication = await live.openPublisher(created.streamKey, 'rtmp', 0, 'x');
      const kicks: string[] = [];
      publication.onKick((reason) => kicks.push(reason));
      expect(publication.write(Buffer.from('frame'))).toBe(true);
      encoder.last.keepingUp = false;
      expect(publication.write(Buffer.from('frame'))).toBe(false);
      expect(kicks).toEqual([expect.stringMatching(/cannot encode this stream in real time/)]);
      expect(publication.write(Buffer.from('frame'))).toBe(false);
      expect(kicks).toHaveLength(1);
      await clock.flush();
      expect(await repo.publisherHeld(created.show.id)).toBe(false);
    });

    it('serves HLS once the first segment is listed, with its PROGRAM-DATE-TIME correction; not after the end', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      await live.openPublisher(created.streamKey, 'browser', 500, 'x');
      expect((await live.get(created.show.id)).hlsUrl).toBeNull();
      encoder.last.listFirstSegment(-250);
      await clock.flush();
      expect((await live.get(created.show.id)).hlsUrl).toBe(`/api/live/${created.show.id}/hls/index.m3u8`);
      expect((await repo.get(created.show.id))?.pdt).toEqual([{ fromSeq: 0, offsetMs: -250 }]);
      await live.endByAdmin(created.show.id);
      expect((await live.get(created.show.id)).hlsUrl).toBeNull();
    });
  });

  describe('heartbeats and the sweeper', () => {
    it('brings the output frame rate to every replica\'s health with the publisher\'s heartbeat; a new run starts unknown', async () => {
      const a = await replica();
      const b = await replica();
      const created = await create(a.live);
      const first = await a.live.openPublisher(created.streamKey, 'rtmp', 0, 'x');
      a.encoder.last.writePlaylist(3);
      a.encoder.last.fps = 59.94;
      expect((await b.live.get(created.show.id)).health).toMatchObject({ segmentSeconds: 1, fps: null });
      await clock.advance(HEARTBEAT_MS);
      expect((await b.live.get(created.show.id)).health).toMatchObject({ segmentSeconds: 1, fps: 59.94 });
      a.encoder.last.fps = null; // audio only now
      await clock.advance(HEARTBEAT_MS);
      expect((await b.live.get(created.show.id)).health?.fps).toBeNull();
      a.encoder.last.fps = 30;
      await clock.advance(HEARTBEAT_MS);
      await first.close();
      await b.live.openPublisher(created.streamKey, 'browser', 0, 'y');
      await clock.advance(1000); // past the health cache
      expect((await a.live.get(created.show.id)).health?.fps).toBeNull();
    });

    it(`keeps a show live while its publisher, on another replica, heartbeats every ${HEARTBEAT_MS / 1000} s`, async () => {
      const a = await replica();
      await replica(); // its sweeper watches the show too
      const created = await create(a.live);
      await a.live.openPublisher(created.streamKey, 'rtmp', 0, 'x');
      await clock.advance(10 * GRACE_MS);
      const r = await repo.get(created.show.id);
      expect(r?.status).toBe('live');
      expect(clock.now() - (r?.lastPublisherAt ?? 0)).toBeLessThanOrEqual(HEARTBEAT_MS);
      expect(await repo.publisherHeld(created.show.id)).toBe(true);
    });

    it('ends a show whose publishing replica died, within a sweep after LIVE_PUBLISHER_GRACE_MS, and still imports its recording', async () => {
      const a = await replica();
      const b = await replica();
      const created = await create(a.live, 'Crash test');
      const { publication } = watched(await a.live.openPublisher(created.streamKey, 'rtmp', 0, 'x'));
      publication.write(Buffer.from('part one'));
      await clock.advance(10_000); // the last heartbeat runs now
      a.clock.pause(); // the replica dies: no more heartbeats, nothing released
      await clock.advance(GRACE_MS);
      expect(await status(created.show.id)).toBe('live');
      await clock.advance(SWEEP_MS);
      expect(await status(created.show.id)).toBe('ended');
      await afterFileWork(async () => (await repo.get(created.show.id))?.recordingMediaId !== undefined);
      expect(b.encoder.joined).toHaveLength(1);
      expect(library.imports).toEqual([{ path: storage.recordingPath(created.show.id), title: 'Crash test', id: expect.any(String) }]);
      expect((await b.live.get(created.show.id)).recordingMediaId).toBe(library.imports[0].id);
    });

    it('keeps the show live while its publisher is away for less than LIVE_PUBLISHER_GRACE_MS; the next run continues the segment numbers', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      const first = await live.openPublisher(created.streamKey, 'browser', 0, 'x');
      encoder.last.writePlaylist(3);
      await first.close();
      await clock.advance(GRACE_MS - SWEEP_MS);
      expect(await status(created.show.id)).toBe('live');
      await live.openPublisher(created.streamKey, 'browser', 0, 'x');
      expect(encoder.last.options).toMatchObject({ run: 2, startNumber: 3 });
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'live', runs: 2, startedAt: created.show.createdAt });
    });

    it('ends a show LIVE_PUBLISHER_GRACE_MS after its publisher left, and turns the recording parts, in order, into a library item', async () => {
      const { live, encoder } = await replica();
      const created = await create(live, 'Two runs');
      const showDir = storage.showDir(created.show.id);
      const first = await live.openPublisher(created.streamKey, 'browser', 0, 'x');
      first.write(Buffer.from('first run;'));
      await first.close();
      const second = await live.openPublisher(created.streamKey, 'browser', 0, 'x');
      second.write(Buffer.from('second run'));
      await second.close();
      await clock.advance(GRACE_MS);
      expect(await status(created.show.id)).toBe('live');
      await clock.advance(SWEEP_MS);
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'ended', endedAt: new Date(clock.now()).toISOString(), hlsReady: false });
      await afterFileWork(async () => (await repo.get(created.show.id))?.recordingMediaId !== undefined);
      expect(encoder.joined[0].parts).toEqual([join(showDir, 'rec_1.ts'), join(showDir, 'rec_2.ts')]);
      expect(library.imports).toHaveLength(1);
      expect(library.imports[0].title).toBe('Two runs');
      expect((await live.get(created.show.id)).recordingMediaId).toBe(library.imports[0].id);
      expect(showFolderExists(created.show.id)).toBe(false); // LIVE_ENDED_LINGER_MS is 0 here: the live files are gone too
    });

    it('ends the show without a recording when joining the parts fails, and still removes the live files', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      const publication = await live.openPublisher(created.streamKey, 'browser', 0, 'x');
      publication.write(Buffer.from('data'));
      encoder.joinFailure = 'ffmpeg 1';
      await publication.close();
      await live.endByAdmin(created.show.id);
      await afterFileWork(() => !showFolderExists(created.show.id));
      expect(library.imports).toHaveLength(0);
      expect((await live.get(created.show.id)).recordingMediaId).toBeUndefined();
      expect(showFolderExists(created.show.id)).toBe(false);
    });

    it('closes a scheduled show nobody published to after a day', async () => {
      const clockOnly = new ReplicaClock(clock);
      const parts = liveParts({ repo, storage, parties, library, config }, clockOnly);
      const old = await create(parts.shows, 'old');
      await clock.advance(SCHEDULED_TTL_MS - SWEEP_MS);
      const fresh = await create(parts.shows, 'fresh');
      await parts.lifecycle.onModuleInit(); // the sweeper starts now: a day of sweeps would be slow to fake
      replicas.push({ ...parts, live: clientFacing(parts), clock: clockOnly });
      await clock.advance(SWEEP_MS);
      expect(await status(old.show.id)).toBe('scheduled'); // exactly a day old
      await clock.advance(SWEEP_MS);
      expect(await status(old.show.id)).toBe('ended');
      expect(await status(fresh.show.id)).toBe('scheduled');
    });

    it('cuts a frozen replica\'s publisher at its next heartbeat once another replica took the expired slot', async () => {
      const a = await replica();
      const b = await replica();
      const created = await create(a.live);
      const stale = watched(await a.live.openPublisher(created.streamKey, 'rtmp', 0, 'x'));
      a.clock.pause();
      await clock.advance(LOCK_TTL_MS + SWEEP_MS);
      const fresh = watched(await b.live.openPublisher(created.streamKey, 'browser', 0, 'y'));
      a.clock.resume();
      await clock.advance(HEARTBEAT_MS);
      expect(stale.kicks).toEqual(['publishing slot lost; reconnect']);
      expect(fresh.kicks).toEqual([]);
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'live', runs: 2 });
      expect(await repo.publisherHeld(created.show.id)).toBe(true);
    });
  });

  describe('ending', () => {
    it('ends a show once, whichever replicas race to end it; the publisher elsewhere is cut at its next heartbeat', async () => {
      const a = await replica();
      const b = await replica();
      const c = await replica();
      const created = await create(a.live);
      const pub = watched(await a.live.openPublisher(created.streamKey, 'rtmp', 0, 'x'));
      pub.publication.write(Buffer.from('recorded'));
      await clock.advance(HEARTBEAT_MS / 4);
      const endedAt = new Date(clock.now()).toISOString();
      await Promise.all([b.live.end(created.show.id), c.live.end(created.show.id)]);
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'ended', endedAt });
      // The replica that ended it waits for the publisher to let go of its recording part.
      await clock.advance(HEARTBEAT_MS / 2);
      expect(pub.kicks).toEqual([]);
      expect(library.imports).toHaveLength(0);
      await clock.advance(HEARTBEAT_MS / 2);
      expect(pub.kicks).toEqual(['the show has ended']);
      await clock.advance(1000);
      await afterFileWork(async () => (await repo.get(created.show.id))?.recordingMediaId !== undefined);
      expect(library.imports).toHaveLength(1);
      expect(b.encoder.joined.length + c.encoder.joined.length).toBe(1);
      await clock.advance(60_000);
      await b.live.end(created.show.id);
      expect(await repo.get(created.show.id)).toMatchObject({ status: 'ended', endedAt });
      expect(library.imports).toHaveLength(1);
    });

    it('cuts a publisher on the same replica at once when its show ends', async () => {
      const { live } = await replica();
      const created = await create(live);
      const pub = watched(await live.openPublisher(created.streamKey, 'browser', 0, 'x'));
      await live.endByAdmin(created.show.id);
      expect(pub.kicks).toEqual(['the show has ended']);
      expect(await repo.publisherHeld(created.show.id)).toBe(false);
    });

    it('never lets an ended show go live again (SHOW_ENDED)', async () => {
      const { live, encoder } = await replica();
      const created = await create(live);
      await live.endByCreator(created.show.id, created.streamKey);
      expect(await refusalOf(live.openPublisher(created.streamKey, 'rtmp', 0, 'x'))).toEqual({
        code: 'SHOW_ENDED',
        message: 'this show has ended; create a new show to go live again',
      });
      expect(encoder.packagers).toHaveLength(0);
      expect(await status(created.show.id)).toBe('ended');
    });

    it('lets the creator end a show with its stream key only (403 otherwise); the admin ends any show; 404 for unknown ids', async () => {
      const { live } = await replica();
      const created = await create(live);
      const other = await create(live);
      await expect(live.endByCreator(created.show.id, other.streamKey)).rejects.toThrow(new ForbiddenException('wrong stream key'));
      await expect(live.endByCreator(created.show.id, 'x')).rejects.toBeInstanceOf(ForbiddenException);
      expect(await status(created.show.id)).toBe('scheduled');
      expect(await live.endByCreator(created.show.id, created.streamKey)).toMatchObject({ status: 'ended', endedAt: new Date(clock.now()).toISOString() });
      expect(await live.endByAdmin(other.show.id)).toMatchObject({ status: 'ended' });
      await expect(live.endByAdmin(newId())).rejects.toThrow(new NotFoundException('live show not found'));
      await expect(live.endByCreator('../etc', created.streamKey)).rejects.toBeInstanceOf(NotFoundException);
      // A scheduled show has nothing to record.
      await clock.flush();
      expect(library.imports).toHaveLength(0);
    });
  });

  describe('shutting down', () => {
    it('cuts this replica\'s publishers, frees their slots and refuses new ones (SERVER_RESTARTING)', async () => {
      const { live, lifecycle } = await replica();
      const created = await create(live);
      const other = await create(live);
      const pub = watched(await live.openPublisher(created.streamKey, 'rtmp', 0, 'x'));
      await lifecycle.beforeApplicationShutdown();
      expect(pub.kicks).toEqual(['server shutting down']);
      expect(await repo.publisherHeld(created.show.id)).toBe(false);
      expect(await status(created.show.id)).toBe('live'); // another replica may take over within the grace
      expect(await refusalOf(live.openPublisher(other.streamKey, 'browser', 0, 'x'))).toEqual({
        code: 'SERVER_RESTARTING',
        message: 'server restarting; publish again in a moment',
      });
    });

    it('waits for a recording being imported, up to 5 s', async () => {
      const { live, lifecycle } = await replica();
      const created = await create(live);
      const publication = await live.openPublisher(created.streamKey, 'browser', 0, 'x');
      publication.write(Buffer.from('data'));
      await publication.close();
      const release = library.hold();
      await live.endByAdmin(created.show.id);
      await afterFileWork(() => storage.has(storage.recordingPath(created.show.id)));
      let stopped = false;
      void lifecycle.beforeApplicationShutdown().then(() => (stopped = true));
      await clock.advance(4900);
      expect(stopped).toBe(false);
      await clock.advance(100);
      expect(stopped).toBe(true);
      release();
      await afterFileWork(async () => (await repo.get(created.show.id))?.recordingMediaId !== undefined);
      expect(library.imports).toHaveLength(1);
    });
  });
});
