import { ConflictException, ForbiddenException, HttpException, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { MAX_SUBTITLE_TRACKS, type Media, type SubtitleTrack } from '@watch-party/contracts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { newId } from '../common/ids';
import { afterFileWork } from '../common/testing/after-file-work';
import type { FakeClock } from '../common/testing/fake-clock';
import type { MemoryMediaRepository } from './media.repository';
import { FAKE_PROBE, type FakeTranscodeJob, type FakeTranscoder } from './testing/fake-transcoder';
import { type MediaLibrary, MediaKit } from './testing/media-kit';
import { multipartRequest } from './testing/upload-request';

const ADMIN_TOKEN = 'admin-token-for-the-subtitle-unit-tests-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const SRT = '1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\n<i>Bye</i>\n';
const VTT = 'WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n';

type Library = MediaLibrary;

describe('MediaService: subtitle tracks', () => {
  let kit: MediaKit;
  let clock: FakeClock;
  let repo: MemoryMediaRepository;
  let transcoder: FakeTranscoder;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    kit = new MediaKit('wp-subtitles-unit-', ADMIN_TOKEN);
    ({ clock, repo, transcoder } = kit);
  });

  afterEach(() => kit.close());

  /** A process of the API over `repo` and MEDIA_DIR: started like Nest starts it. */
  const start = (env: Record<string, string> = {}): Promise<Library> => kit.start(env);

  /** A video uploaded through the service, with its owner key (it starts like an MP4 file, for when there is no ffprobe). */
  async function uploadVideo(lib: Library, headers: IncomingHttpHeaders = {}) {
    const bytes = Buffer.alloc(2000);
    bytes.write('ftyp', 4, 'latin1');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'clip.mp4');
    return lib.media.upload(await multipartRequest(form, headers));
  }

  async function addTrack(lib: Library, id: string, file: { text: string | Buffer; name: string }, fields: Record<string, string> = { label: 'English', lang: 'en' }, headers: IncomingHttpHeaders = {}, ip?: string): Promise<SubtitleTrack> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([typeof file.text === 'string' ? file.text : new Uint8Array(file.text)]), file.name);
    return lib.media.addSubtitle(id, await multipartRequest(form, headers, ip));
  }

  async function jobFor(id: string): Promise<FakeTranscodeJob> {
    let job: FakeTranscodeJob | undefined;
    await afterFileWork(() => (job = transcoder.jobs.find((j) => j.outDir.includes(id))) !== undefined, `the job of ${id}`);
    if (!job) throw new Error('unreachable');
    return job;
  }

  /** The first segments are out: the item plays, and its poster and tracks are made beside the encode. */
  async function playable(lib: Library, job: FakeTranscodeJob): Promise<void> {
    const id = job.outDir.split('/').at(-2) ?? '';
    job.writeFirstSegments();
    await afterFileWork(async () => (await lib.media.get(id)).posterUrl !== null && transcoder.extractions.length > 0, 'the poster and the tracks');
    await afterFileWork(async () => (await lib.media.get(id)).subtitles.length > 0 || transcoder.subtitlesFail, 'the tracks recorded');
  }

  const trackText = (lib: Library, id: string, trackId: string) => readFileSync(lib.storage.subtitlePath(id, trackId), 'utf8');
  const leftovers = (lib: Library, id: string) => [
    ...readdirSync(lib.storage.incomingDir()),
    ...(existsSync(lib.storage.subtitleDir(id)) ? readdirSync(lib.storage.subtitleDir(id)) : []),
  ];
  const status = (err: unknown) => (err instanceof HttpException ? err.getStatus() : err);

  it('adds an uploaded .srt as a WebVTT track of the item, listed with its label, language (none for an empty field) and URL', async () => {
    const lib = await start();
    const item = await uploadVideo(lib);
    expect(item.subtitles).toEqual([]);
    const track = await addTrack(lib, item.id, { text: SRT, name: 'film.en.srt' }, { label: ' English ', lang: 'en' });
    expect(track).toEqual({ id: expect.stringMatching(/^[\w-]{16}$/), label: 'English', lang: 'en', url: `/api/media/${item.id}/subtitles/${track.id}.vtt` });
    expect((await lib.media.get(item.id)).subtitles).toEqual([track]);
    expect(trackText(lib, item.id, track.id)).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\n\n00:00:03.000 --> 00:00:04.000\n<i>Bye</i>\n');
    const vtt = await addTrack(lib, item.id, { text: VTT, name: 'film.vtt' }, { label: 'Commentary', lang: ' ' });
    expect(vtt.lang).toBeNull();
    expect(trackText(lib, item.id, vtt.id)).toBe(VTT);
    expect((await lib.media.get(item.id)).subtitles.map((t) => t.label)).toEqual(['English', 'Commentary']);
    expect(await lib.media.requireSubtitle(item.id, vtt.id)).toBe(lib.storage.subtitlePath(item.id, vtt.id));
    await expect(lib.media.requireSubtitle(item.id, newId())).rejects.toBeInstanceOf(NotFoundException);
  });

  it('tells every player that the item changed when a track is added or deleted (a media:progress of the ready item)', async () => {
    const lib = await start();
    const item = await uploadVideo(lib);
    const before = lib.broadcaster.sent('media:progress').filter((p) => p.id === item.id).length;
    const track = await addTrack(lib, item.id, { text: SRT, name: 'film.en.srt' }, { label: 'English', lang: 'en' }, bearer(item.ownerKey));
    const afterAdd = lib.broadcaster.sent('media:progress').filter((p) => p.id === item.id);
    expect(afterAdd).toHaveLength(before + 1);
    const current = await lib.media.get(item.id);
    expect(afterAdd.at(-1)).toEqual({ id: item.id, progress: current.progress, status: current.status });
    await lib.media.deleteSubtitle(item.id, track.id, bearer(item.ownerKey));
    expect(lib.broadcaster.sent('media:progress').filter((p) => p.id === item.id)).toHaveLength(before + 2);
  });

  it.each([
    ['a file that is not UTF-8', 415, { text: Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nÉté\n', 'latin1'), name: 'a.srt' }, { label: 'French' }, 'UTF-8'],
    ['a video file', 415, { text: Buffer.alloc(100), name: 'a.mp4' }, { label: 'x' }, '.srt'],
    ['text without a cue', 400, { text: 'hello world\n', name: 'a.srt' }, { label: 'x' }, 'no subtitle cues'],
    ['broken WebVTT', 400, { text: 'WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nHi\n', name: 'a.vtt' }, { label: 'x' }, 'line 3'],
    ['no label', 400, { text: SRT, name: 'a.srt' }, {}, 'label'],
    ['an empty label', 400, { text: SRT, name: 'a.srt' }, { label: '   ' }, 'label must not be empty'],
    ['a 41-character label', 400, { text: SRT, name: 'a.srt' }, { label: 'x'.repeat(41) }, 'label at most 40 characters'],
    ['a language that is not a tag', 400, { text: SRT, name: 'a.srt' }, { label: 'x', lang: 'english please' }, 'lang must be a language tag'],
    ['a 36-character language tag', 400, { text: SRT, name: 'a.srt' }, { label: 'x', lang: `en-${'abcdefgh-'.repeat(3)}abcdef` }, 'lang at most 35 characters'],
  ])('refuses %s with %d, keeping nothing', async (_what, code, file, fields, message) => {
    const lib = await start();
    const item = await uploadVideo(lib);
    const err: unknown = await addTrack(lib, item.id, file, fields).catch((e: unknown) => e);
    expect(status(err)).toBe(code);
    expect((err as Error).message).toContain(message);
    expect((await lib.media.get(item.id)).subtitles).toEqual([]);
    expect(leftovers(lib, item.id)).toEqual([]);
  });

  it('refuses a subtitle file one byte over SUBTITLE_MAX_BYTES with 413, keeping nothing', async () => {
    const lib = await start({ SUBTITLE_MAX_BYTES: '2048' });
    const item = await uploadVideo(lib);
    const cue = '00:00:01,000 --> 00:00:02,000\n';
    const exact = `1\n${cue}${'x'.repeat(2048 - 2 - cue.length - 1)}\n`;
    expect(Buffer.byteLength(exact)).toBe(2048);
    await addTrack(lib, item.id, { text: exact, name: 'a.srt' });
    const err: unknown = await addTrack(lib, item.id, { text: `${exact}y`, name: 'a.srt' }).catch((e: unknown) => e);
    expect(status(err)).toBe(413);
    expect((await lib.media.get(item.id)).subtitles).toHaveLength(1);
    expect(readdirSync(lib.storage.incomingDir())).toEqual([]);
  });

  it('under PUBLISH_POLICY=admin adds only with the admin token or the item\'s owner key (401 otherwise); 404 for an unknown item', async () => {
    const lib = await start({ PUBLISH_POLICY: 'admin' });
    const item = await uploadVideo(lib, admin);
    const err: unknown = await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedException);
    await expect(addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'x' }, bearer('not-the-key'))).rejects.toBeInstanceOf(UnauthorizedException);
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'by the owner' }, bearer(item.ownerKey));
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'by the admin' }, admin);
    expect((await lib.media.get(item.id)).subtitles.map((t) => t.label)).toEqual(['by the owner', 'by the admin']);
    await expect(addTrack(lib, newId(), { text: SRT, name: 'a.srt' }, { label: 'x' }, admin)).rejects.toBeInstanceOf(NotFoundException);
  });

  it('lets anyone add under PUBLISH_POLICY=open, at most UPLOADS_PER_HOUR subtitle files per address an hour (429), counted apart from videos; the admin is not limited', async () => {
    const lib = await start({ UPLOADS_PER_HOUR: '2' });
    const item = await uploadVideo(lib);
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'one' });
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'two' });
    const err: unknown = await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'three' }).catch((e: unknown) => e);
    expect(status(err)).toBe(429);
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'elsewhere' }, {}, '198.51.100.9');
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'admin' }, admin);
    await uploadVideo(lib); // the video allowance is its own
    await clock.advance(60 * 60_000);
    await addTrack(lib, item.id, { text: SRT, name: 'a.srt' }, { label: 'an hour later' });
    expect((await lib.media.get(item.id)).subtitles.map((t) => t.label)).toEqual(['one', 'two', 'elsewhere', 'admin', 'an hour later']);
  });

  it(`holds at most MAX_SUBTITLE_TRACKS (${MAX_SUBTITLE_TRACKS}) tracks per item: the next is refused with 409 before its body is read`, async () => {
    const lib = await start();
    const item = await uploadVideo(lib);
    for (let i = 0; i < MAX_SUBTITLE_TRACKS; i++) await addTrack(lib, item.id, { text: VTT, name: 'a.vtt' }, { label: `t${i}` }, admin);
    const form = new FormData();
    form.append('label', 'one too many');
    form.append('file', new Blob([VTT]), 'a.vtt');
    const req = await multipartRequest(form, admin);
    await expect(lib.media.addSubtitle(item.id, req)).rejects.toBeInstanceOf(ConflictException);
    expect(req.readableLength).toBeGreaterThan(0); // never read
    expect((await lib.media.get(item.id)).subtitles).toHaveLength(MAX_SUBTITLE_TRACKS);
    expect(readdirSync(lib.storage.subtitleDir(item.id))).toHaveLength(MAX_SUBTITLE_TRACKS);
  });

  it('deletes a track only with the owner key or the admin token (401, 403; 404 for an unknown track), its file with it; the item\'s measured size follows', async () => {
    transcoder.installed = false; // ready at once, measured
    const lib = await start();
    const item = await uploadVideo(lib);
    const sizeBefore = (await repo.get(item.id))?.diskBytes ?? 0;
    const a = await addTrack(lib, item.id, { text: VTT, name: 'a.vtt' }, { label: 'a' });
    const b = await addTrack(lib, item.id, { text: SRT, name: 'b.srt' }, { label: 'b' });
    expect((await repo.get(item.id))?.diskBytes).toBe(sizeBefore + Buffer.byteLength(VTT) + Buffer.byteLength(trackText(lib, item.id, b.id)));
    await expect(lib.media.deleteSubtitle(item.id, a.id, {})).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(lib.media.deleteSubtitle(item.id, a.id, bearer('someone-else'))).rejects.toBeInstanceOf(ForbiddenException);
    await expect(lib.media.deleteSubtitle(item.id, newId(), admin)).rejects.toBeInstanceOf(NotFoundException);
    await lib.media.deleteSubtitle(item.id, a.id, bearer(item.ownerKey));
    expect(existsSync(lib.storage.subtitlePath(item.id, a.id))).toBe(false);
    await lib.media.deleteSubtitle(item.id, b.id, admin);
    expect((await lib.media.get(item.id)).subtitles).toEqual([]);
    expect((await repo.get(item.id))?.diskBytes).toBe(sizeBefore);
    await addTrack(lib, item.id, { text: VTT, name: 'a.vtt' }, { label: 'c' });
    await lib.media.delete(item.id, bearer(item.ownerKey));
    expect(existsSync(lib.storage.itemDir(item.id))).toBe(false);
  });

  describe('text subtitle streams inside an uploaded video', () => {
    const STREAMS = [
      { index: 2, codec: 'subrip', language: 'fre', title: null },
      { index: 3, codec: 'ass', language: null, title: 'Signs & songs' },
      { index: 4, codec: 'mov_text', language: null, title: null },
    ];

    async function videoWithStreams(lib: Library): Promise<Media> {
      transcoder.probeResult = { ...FAKE_PROBE, subtitles: STREAMS };
      return uploadVideo(lib);
    }

    it('become WebVTT tracks while the item is processing, once it plays (off the path to the first frame): label from the title, else the language\'s name; lang from its tag', async () => {
      const lib = await start();
      const item = await videoWithStreams(lib);
      const job = await jobFor(item.id);
      expect(transcoder.extractions).toEqual([]);
      await playable(lib, job);
      expect(transcoder.extractions).toEqual([[2, 3, 4]]);
      expect((await lib.media.get(item.id)).status).toBe('processing');
      const tracks = (await lib.media.get(item.id)).subtitles;
      expect(tracks.map(({ label, lang }) => ({ label, lang }))).toEqual([
        { label: 'French', lang: 'fre' },
        { label: 'Signs & songs', lang: null },
        { label: 'Subtitles 3', lang: null },
      ]);
      expect(trackText(lib, item.id, tracks[1].id)).toContain('stream 3');
      job.complete();
      await afterFileWork(async () => (await lib.media.get(item.id)).status === 'ready', 'ready');
      expect((await lib.media.get(item.id)).subtitles).toEqual(tracks);
    });

    it('a failed extraction never fails the upload: no track, the encode goes on to ready', async () => {
      transcoder.subtitlesFail = true;
      const lib = await start();
      const item = await videoWithStreams(lib);
      const job = await jobFor(item.id);
      job.complete();
      await afterFileWork(async () => (await lib.media.get(item.id)).status === 'ready', 'ready');
      expect((await lib.media.get(item.id)).subtitles).toEqual([]);
      expect(readdirSync(lib.storage.itemDir(item.id))).not.toContain('subtitles');
    });

    it('a stream that yields no cue is left out, the others kept', async () => {
      transcoder.subtitleText.set(3, 'WEBVTT\n\n');
      const lib = await start();
      const item = await videoWithStreams(lib);
      await playable(lib, await jobFor(item.id));
      const tracks = (await lib.media.get(item.id)).subtitles;
      expect(tracks.map((t) => t.label)).toEqual(['French', 'Subtitles 3']);
      expect(readdirSync(lib.storage.subtitleDir(item.id)).sort()).toEqual(tracks.map((t) => `${t.id}.vtt`).sort());
    });

    it('are extracted once: a job started again after a restart keeps the tracks it made', async () => {
      const first = await start();
      const item = await videoWithStreams(first);
      await playable(first, await jobFor(item.id));
      await first.media.beforeApplicationShutdown();
      kit.forgetStarted();
      await afterFileWork(() => transcoder.running.length === 0, 'the stop');
      await start();
      await afterFileWork(() => transcoder.jobs.length === 2, 'the job started again');
      expect(transcoder.extractions).toHaveLength(1);
      expect((await repo.get(item.id))?.subtitles).toHaveLength(3);
    });

    it(`fill only the room left under MAX_SUBTITLE_TRACKS`, async () => {
      transcoder.probeResult = {
        ...FAKE_PROBE,
        subtitles: Array.from({ length: MAX_SUBTITLE_TRACKS + 2 }, (_, i) => ({ index: i + 1, codec: 'subrip', language: null, title: `s${i}` })),
      };
      const lib = await start();
      const item = await uploadVideo(lib);
      await playable(lib, await jobFor(item.id));
      expect((await lib.media.get(item.id)).subtitles).toHaveLength(MAX_SUBTITLE_TRACKS);
      expect(transcoder.extractions[0]).toHaveLength(MAX_SUBTITLE_TRACKS);
    });
  });
});
