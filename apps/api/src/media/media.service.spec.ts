import { ForbiddenException, Logger, NotFoundException, UnauthorizedException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Media, MediaProgress } from '@watch-party/contracts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../common/bearer';
import { newId } from '../common/ids';
import { afterFileWork } from '../common/testing/after-file-work';
import type { FakeClock } from '../common/testing/fake-clock';
import type { Metrics } from '../ops/metrics';
import type { MediaRecord, MemoryMediaRepository } from './media.repository';
import { FAKE_PROBE, type FakeTranscodeJob, type FakeTranscoder } from './testing/fake-transcoder';
import { type MediaLibrary, MediaKit } from './testing/media-kit';

const ADMIN_TOKEN = 'admin-token-for-the-media-unit-tests-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** TRANSCODE_TIMEOUT_MIN_SEC and TRANSCODE_TIMEOUT_FACTOR as configured below (the defaults). */
const TIMEOUT_MIN_SEC = 600;
const TIMEOUT_FACTOR = 3;
/** Progress is written at most this often per job. */
const PROGRESS_EVERY_MS = 500;

type Library = MediaLibrary;

describe('MediaService: transcode job states', () => {
  let kit: MediaKit;
  let dir: string;
  let clock: FakeClock;
  let repo: MemoryMediaRepository;
  let transcoder: FakeTranscoder;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    kit = new MediaKit('wp-media-unit-', ADMIN_TOKEN);
    ({ dir, clock, repo, transcoder } = kit);
  });

  afterEach(() => kit.close());

  /** A process of the API over `repo` and MEDIA_DIR: started like Nest starts it. */
  const start = (env: Record<string, string> = {}): Promise<Library> => kit.start(env);

  /** A video arrives (as a live recording does: a file already under MEDIA_DIR). */
  async function addVideo(lib: Library, title = 'Clip', bytes = 2000): Promise<Media> {
    const path = lib.storage.newIncomingPath();
    writeFileSync(path, Buffer.alloc(bytes));
    return lib.media.importFile(path, title);
  }

  async function jobFor(id: string): Promise<FakeTranscodeJob> {
    let job: FakeTranscodeJob | undefined;
    await afterFileWork(() => (job = transcoder.jobs.find((j) => j.outDir.includes(id))) !== undefined, `the job of ${id}`);
    if (!job) throw new Error('unreachable');
    return job;
  }

  async function record(id: string): Promise<MediaRecord | null> {
    return repo.get(id);
  }

  async function when(id: string, check: (r: MediaRecord | null) => boolean, what: string) {
    await afterFileWork(async () => check(await record(id)), what);
  }

  async function jobs(metrics: Metrics, result: string): Promise<number> {
    return (await metrics.transcodeJobs.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  }

  async function refusals(metrics: Metrics, reason: string): Promise<number> {
    return (await metrics.refusals.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  }

  const progressOf = (lib: Library, id: string): MediaProgress[] => lib.broadcaster.sent('media:progress').filter((p) => p.id === id);

  it('takes a new video as processing at 0, with its renditions chosen, and starts its encode at once, the poster once it plays', async () => {
    const lib = await start();
    const item = await addVideo(lib, 'Holiday');
    expect(item).toMatchObject({ title: 'Holiday', status: 'processing', progress: 0, durationSec: 100, hlsUrl: null, posterUrl: null });
    expect(item.renditions.map((r) => r.height)).toEqual([360, 720]);
    const job = await jobFor(item.id);
    expect(job.input).toBe(lib.storage.originalPath(item.id, 'original.bin'));
    expect(job.rungs.map((r) => r.height)).toEqual([360, 720]);
    // Nothing before the encode: the poster waits for the first segments, off the path to the first frame.
    expect((await lib.media.get(item.id)).posterUrl).toBeNull();
    job.writeFirstSegments();
    await when(item.id, (r) => r?.hlsPlayable === true && r.hasPoster, 'playable, with a poster');
    expect(await lib.media.get(item.id)).toMatchObject({ status: 'processing', posterUrl: `/api/media/${item.id}/poster.jpg` });
  });

  it('gives a job that fails before it plays its poster all the same', async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    job.fail('ffmpeg failed (1): Invalid data found when processing input');
    await when(id, (r) => r?.status === 'failed', 'failed');
    expect((await lib.media.get(id)).posterUrl).toBe(`/api/media/${id}/poster.jpg`);
  });

  it(`moves progress with the encode (by time or by frames, whichever tells more), written and announced at most every ${PROGRESS_EVERY_MS} ms, below 1 until done`, async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    job.progress(10, 0);
    await when(id, (r) => r?.progress === 0.1, 'progress 0.1');
    job.progress(50, 0); // within 500 ms of the last write: not written
    await clock.advance(PROGRESS_EVERY_MS);
    job.progress(5, 1500); // frames say more than the output clock
    await when(id, (r) => r?.progress === 0.5, 'progress 0.5');
    await clock.advance(PROGRESS_EVERY_MS);
    job.progress(100, 3000);
    await when(id, (r) => r?.progress === 0.99, 'progress 0.99');
    expect(progressOf(lib, id).map((p) => p.progress)).toEqual([0.1, 0.5, 0.99]);
    expect(progressOf(lib, id).every((p) => p.status === 'processing')).toBe(true);
  });

  it('serves HLS while still processing, once the master playlist and the first rendition list a segment', async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    job.progress(2, 0);
    await when(id, (r) => r?.progress === 0.02, 'the first progress');
    expect((await lib.media.get(id)).hlsUrl).toBeNull();
    // No progress tick needed (they are 500 ms apart): the transcoder says when the first segments are out.
    job.writeFirstSegments();
    await when(id, (r) => r?.hlsPlayable === true, 'playable');
    expect(await lib.media.get(id)).toMatchObject({ status: 'processing', hlsUrl: `/api/media/${id}/hls/master.m3u8` });
    expect(progressOf(lib, id).at(-1)).toEqual({ id, progress: 0.02, status: 'processing' });
  });

  it('serves its own master: the lowest rung and the audio while encoding (nominal bit rates, as renditions[] says), every rung with measured ones at the end', async () => {
    const lib = await start();
    const { id, renditions } = await addVideo(lib);
    const job = await jobFor(id);
    const master = () => readFileSync(join(lib.storage.hlsDir(id), 'master.m3u8'), 'utf8');
    const bandwidths = (text: string) => [...text.matchAll(/^#EXT-X-STREAM-INF:BANDWIDTH=(\d+),AVERAGE-BANDWIDTH=(\d+)/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    const audio = '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="v2/index.m3u8"';
    job.writeFirstSegments();
    await when(id, (r) => r?.hlsPlayable === true, 'playable');
    const early = master();
    expect(early).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(early).toContain(`FRAME-RATE=${FAKE_PROBE.fps.toFixed(3)}`);
    expect(early.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA'))).toEqual([audio]);
    // The higher rungs are still behind the lowest: listed once they are complete.
    expect(bandwidths(early)).toEqual([[renditions[0].bandwidth, renditions[0].bandwidth]]);
    expect((await lib.media.get(id)).renditions).toEqual(renditions);

    job.complete(); // one 2 s segment of 1000 bytes per variant, audio too: 4000 bit/s each
    await when(id, (r) => r?.status === 'ready', 'ready');
    const final = master();
    expect(final.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA'))).toEqual([audio]);
    expect(bandwidths(final)).toEqual([[8000, 8000], [8000, 8000]]);
    expect(final.match(/AUDIO="audio"/g)).toHaveLength(2);
    expect((await lib.media.get(id)).renditions).toEqual(renditions.map((r) => ({ height: r.height, bandwidth: 8000 })));
    expect(readFileSync(join(lib.storage.hlsDir(id), 'v2', 'index.m3u8'), 'utf8')).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
  });

  it('ends a finished job ready at 1: playlists made VOD, the folder measured, the time limit cancelled', async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    job.complete();
    await when(id, (r) => r?.status === 'ready', 'ready');
    const r = await record(id);
    expect(r).toMatchObject({ status: 'ready', progress: 1, hlsPlayable: true });
    expect(r?.diskBytes).toBe(await lib.storage.itemBytes(id));
    expect(r?.diskBytes).toBeGreaterThan(2000);
    for (const v of ['v0', 'v1']) {
      expect(readFileSync(join(lib.storage.hlsDir(id), v, 'index.m3u8'), 'utf8')).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    }
    expect(progressOf(lib, id).at(-1)).toEqual({ id, progress: 1, status: 'ready' });
    expect(await jobs(lib.metrics, 'ready')).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('marks a job that fails as failed with the reason, keeping the original file', async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    job.fail('ffmpeg failed (1): Invalid data found when processing input');
    await when(id, (r) => r?.status === 'failed', 'failed');
    expect(await lib.media.get(id)).toMatchObject({ status: 'failed', error: 'transcoding failed; the original file is still available', hlsUrl: null });
    expect(existsSync(job.input)).toBe(true);
    expect(progressOf(lib, id).at(-1)?.status).toBe('failed');
    expect(await jobs(lib.metrics, 'failed')).toBe(1);
  });

  it.each([
    [100, TIMEOUT_MIN_SEC],
    [300, TIMEOUT_FACTOR * 300],
  ])('stops a %d s video still encoding after max(TRANSCODE_TIMEOUT_MIN_SEC, TRANSCODE_TIMEOUT_FACTOR x duration) = %d s: failed with that reason', async (durationSec, limitSec) => {
    transcoder.probeResult = { ...FAKE_PROBE, durationSec, frames: durationSec * 30 };
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    job.writeFirstSegments();
    await clock.advance(limitSec * 1000 - 1);
    expect(job.signal.aborted).toBe(false);
    expect((await record(id))?.status).toBe('processing');
    await clock.advance(1);
    expect(job.signal.aborted).toBe(true);
    await when(id, (r) => r?.status === 'failed', 'failed');
    expect((await record(id))?.error).toBe(
      `transcoding was stopped after ${limitSec} s, the limit for this video (TRANSCODE_TIMEOUT_MIN_SEC, or TRANSCODE_TIMEOUT_FACTOR x its duration); the original file is still available`,
    );
    expect((await record(id))?.hlsPlayable).toBe(false);
    expect(existsSync(lib.storage.hlsDir(id))).toBe(false);
    expect(existsSync(job.input)).toBe(true);
    expect(await refusals(lib.metrics, 'transcode_timeout')).toBe(1);
  });

  it('runs at most TRANSCODE_CONCURRENCY jobs at once, the others waiting in arrival order', async () => {
    const lib = await start({ TRANSCODE_CONCURRENCY: '2' });
    const a = await addVideo(lib, 'a');
    const b = await addVideo(lib, 'b');
    const c = await addVideo(lib, 'c');
    const jobA = await jobFor(a.id);
    await jobFor(b.id);
    await clock.flush();
    expect(transcoder.running).toHaveLength(2);
    expect(transcoder.jobs.some((j) => j.outDir.includes(c.id))).toBe(false);
    expect(await lib.media.get(c.id)).toMatchObject({ status: 'processing', progress: 0 });
    jobA.complete();
    await jobFor(c.id);
    expect(transcoder.running).toHaveLength(2);
  });

  it('stops the job of an item deleted while processing, removes its files, and moves on to the next job', async () => {
    const lib = await start();
    const a = await addVideo(lib, 'a');
    const b = await addVideo(lib, 'b');
    const job = await jobFor(a.id);
    await lib.media.delete(a.id, admin);
    expect(job.signal.aborted).toBe(true);
    expect(await lib.media.find(a.id)).toBeNull();
    await afterFileWork(() => !existsSync(lib.storage.itemDir(a.id)), 'the removal');
    await jobFor(b.id);
    await afterFileWork(async () => (await jobs(lib.metrics, 'cancelled')) === 1, 'the cancellation');
    expect(progressOf(lib, a.id).some((p) => p.status === 'failed')).toBe(false);
  });

  it('never starts the job of an item deleted while it waited', async () => {
    const lib = await start();
    const a = await addVideo(lib, 'a');
    const b = await addVideo(lib, 'b');
    const c = await addVideo(lib, 'c');
    const jobA = await jobFor(a.id);
    await lib.media.delete(b.id, admin);
    jobA.complete();
    await jobFor(c.id);
    expect(transcoder.jobs.map((j) => j.outDir)).toEqual([lib.storage.hlsDir(a.id), lib.storage.hlsDir(c.id)]);
  });

  it('stops a job at its next progress write when another replica deleted the item', async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    await repo.delete(id); // another replica's DELETE
    job.progress(10, 0);
    await afterFileWork(() => job.signal.aborted, 'the abort');
    await afterFileWork(() => !existsSync(lib.storage.itemDir(id)), 'the removal');
    expect(await record(id)).toBeNull();
  });

  it('deletes only with the item\'s owner key or the admin token: 404, then 401, then 403; items without an owner key are the admin\'s', async () => {
    const lib = await start();
    const owned = await addVideo(lib, 'owned');
    const ownerKey = 'owner-key-of-this-item';
    await repo.update(owned.id, { ownerKeyHash: sha256(ownerKey).toString('hex') });
    const recording = await addVideo(lib, 'a live recording');
    await expect(lib.media.delete(newId(), admin)).rejects.toBeInstanceOf(NotFoundException);
    await expect(lib.media.delete(owned.id, {})).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(lib.media.delete(owned.id, { authorization: 'Bearer someone-else' })).rejects.toThrow(
      new ForbiddenException('this key does not own this item: deleting needs its owner key or the admin token'),
    );
    await expect(lib.media.delete(recording.id, { authorization: `Bearer ${ownerKey}` })).rejects.toThrow(
      new ForbiddenException('only the admin may manage this item (deleting)'),
    );
    await lib.media.delete(owned.id, { authorization: `Bearer ${ownerKey}` });
    await lib.media.delete(recording.id, admin);
    expect(await repo.list()).toEqual([]);
  });

  it('leaves a job interrupted by shutdown processing, files kept, for the next start', async () => {
    const lib = await start();
    const { id } = await addVideo(lib);
    const job = await jobFor(id);
    await lib.media.beforeApplicationShutdown();
    kit.forgetStarted();
    expect(job.signal.aborted).toBe(true);
    await clock.flush();
    await afterFileWork(() => transcoder.running.length === 0, 'the stop');
    expect(await record(id)).toMatchObject({ status: 'processing' });
    expect(existsSync(job.input)).toBe(true);
  });

  describe('at start (in-process queue): jobs the last process left processing', () => {
    function leftover(title: string, createdAt: string, over: Partial<MediaRecord> = {}): MediaRecord {
      return {
        id: newId(),
        title,
        status: 'processing',
        progress: 0.4,
        durationSec: 100,
        renditions: [],
        originalName: 'original.mp4',
        contentType: 'video/mp4',
        sizeBytes: 2000,
        hlsPlayable: true,
        hasPoster: true,
        createdAt,
        source: FAKE_PROBE,
        ...over,
      };
    }

    async function seed(r: MediaRecord) {
      await repo.insert(r);
      const hls = join(dir, 'media', r.id, 'hls', 'v0');
      mkdirSync(hls, { recursive: true });
      writeFileSync(join(dir, 'media', r.id, r.originalName), Buffer.alloc(r.sizeBytes));
      writeFileSync(join(hls, 'seg_00000.m4s'), 'partial');
    }

    it('starts them over, oldest first: partial HLS removed, progress reset', async () => {
      const older = leftover('older', '2026-01-01T00:00:00.000Z');
      const newer = leftover('newer', '2026-01-01T00:01:00.000Z');
      const done = leftover('done', '2025-12-31T00:00:00.000Z', { status: 'ready', progress: 1 });
      for (const r of [older, newer, done]) await seed(r);
      const lib = await start();
      for (const r of [older, newer]) {
        expect(await record(r.id)).toMatchObject({ status: 'processing', progress: 0, hlsPlayable: false });
        expect(existsSync(join(lib.storage.hlsDir(r.id), 'v0', 'seg_00000.m4s'))).toBe(false);
      }
      const first = await jobFor(older.id);
      expect(transcoder.jobs.map((j) => j.outDir)).toEqual([lib.storage.hlsDir(older.id)]);
      first.complete();
      await jobFor(newer.id);
      expect(await record(done.id)).toMatchObject({ status: 'ready', progress: 1 });
    });

    it('serves them as plain files when ffmpeg is gone', async () => {
      transcoder.installed = false;
      const a = leftover('a', '2026-01-01T00:00:00.000Z');
      await seed(a);
      await start();
      expect(await record(a.id)).toMatchObject({ status: 'ready', progress: 1, hlsPlayable: false });
      expect(transcoder.jobs).toHaveLength(0);
    });

    it('serves a never-probed one as a plain file even with ffmpeg', async () => {
      const unprobed = leftover('unprobed', '2026-01-01T00:00:00.000Z', { source: null });
      await seed(unprobed);
      await start();
      expect(await record(unprobed.id)).toMatchObject({ status: 'ready', progress: 1 });
      expect(transcoder.jobs).toHaveLength(0);
    });
  });

  describe('without ffmpeg', () => {
    it('takes a file that starts like a video as ready at once, served as a file, with no job', async () => {
      transcoder.installed = false;
      const lib = await start();
      const path = lib.storage.newIncomingPath();
      const mp4 = Buffer.alloc(3000);
      mp4.write('ftyp', 4, 'latin1');
      writeFileSync(path, mp4);
      const item = await lib.media.importFile(path, 'Plain');
      expect(item).toMatchObject({ status: 'ready', progress: 1, hlsUrl: null, durationSec: null, renditions: [] });
      expect((await record(item.id))?.diskBytes).toBe(3000);
      expect(transcoder.jobs).toHaveLength(0);
    });

    it('refuses a file that does not start like a video (415)', async () => {
      transcoder.installed = false;
      const lib = await start();
      await expect(addVideo(lib)).rejects.toThrow(new UnsupportedMediaTypeException('this file is not a video we can decode'));
      expect(await repo.list()).toEqual([]);
    });
  });
});
