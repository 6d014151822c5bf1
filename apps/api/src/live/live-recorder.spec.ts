import { Logger } from '@nestjs/common';
import { FakeClock } from '../common/testing/fake-clock';
import { loadConfig } from '../config/app-config';
import { FakeMediaImporter } from '../media/testing/fake-media-importer';
import { PLAYLIST_NAME } from './live-storage';
import { MemoryLiveRepository } from './live.repository';
import { FakeLiveParties } from './testing/fake-live-parties';
import { liveParts } from './testing/live-kit';
import { MemoryLiveStorage } from './testing/memory-live-storage';

/** LIVE_ENDED_LINGER_MS as configured below. */
const LINGER_MS = 60_000;

describe('the live recorder: after a show ends', () => {
  beforeAll(() => Logger.overrideLogger(false));

  function setup() {
    const clock = new FakeClock();
    const storage = new MemoryLiveStorage(clock);
    const repo = new MemoryLiveRepository(clock);
    const library = new FakeMediaImporter();
    const config = loadConfig({ DATA_DIR: '/nonexistent', STORE: 'memory', RTMP_PORT: '0', LIVE_ENDED_LINGER_MS: String(LINGER_MS) });
    const parts = liveParts({ repo, storage, parties: new FakeLiveParties(), library, config }, clock);
    /** A show that was live for two runs, its publisher gone; its folder as ffmpeg left it. */
    async function publishedShow(title: string) {
      const created = await parts.shows.create({ title, creatorName: 'Ann' }, '203.0.113.7', 'h');
      for (const data of ['first;', 'second']) {
        const pub = await parts.ingest.openPublisher(created.streamKey, 'browser', 0, 'x');
        pub.write(Buffer.from(data));
        parts.encoder.last.writePlaylist(2);
        await pub.close();
      }
      return created.show.id;
    }
    const recordingId = async (id: string) => (await repo.get(id))?.recordingMediaId;
    const folder = (id: string) => storage.has(storage.showDir(id));
    return { clock, storage, repo, library, parts, publishedShow, recordingId, folder };
  }

  it('sets recordingMediaId as soon as the recording is imported; only the live files wait LIVE_ENDED_LINGER_MS', async () => {
    const { clock, storage, library, parts, publishedShow, recordingId, folder } = setup();
    const id = await publishedShow('Two runs');
    await parts.shows.end(id);
    await clock.flush();
    expect(parts.encoder.joined).toEqual([{ parts: [`${storage.showDir(id)}/rec_1.ts`, `${storage.showDir(id)}/rec_2.ts`], output: storage.recordingPath(id) }]);
    expect(storage.contents(storage.recordingPath(id)).toString()).toBe('first;second');
    expect(library.imports).toEqual([{ path: storage.recordingPath(id), title: 'Two runs', id: expect.any(String) }]);
    expect(await recordingId(id)).toBe(library.imports[0].id);
    expect((await parts.shows.get(id)).recordingMediaId).toBe(library.imports[0].id);
    // The ended playlist is still served, and says it ended.
    expect(folder(id)).toBe(true);
    expect(storage.contents(`${storage.showDir(id)}/${PLAYLIST_NAME}`).toString()).toMatch(/#EXT-X-ENDLIST\n$/);
    await clock.advance(LINGER_MS - 1);
    expect(folder(id)).toBe(true);
    await clock.advance(1);
    expect(folder(id)).toBe(false);
  });

  it('counts the linger from the end, not from the import: a slow import does not keep the files longer', async () => {
    const { clock, library, parts, publishedShow, recordingId, folder } = setup();
    const id = await publishedShow('Slow probe');
    const release = library.hold();
    await parts.shows.end(id);
    await clock.advance(LINGER_MS - 10_000);
    expect(await recordingId(id)).toBeUndefined();
    release();
    await clock.flush();
    expect(await recordingId(id)).toBe(library.imports[0].id);
    expect(folder(id)).toBe(true);
    await clock.advance(10_000);
    expect(folder(id)).toBe(false);
  });

  it.each([
    ['joining the parts fails', (s: ReturnType<typeof setup>) => (s.parts.encoder.joinFailure = 'ffmpeg 1')],
    ['the library refuses the file', (s: ReturnType<typeof setup>) => (s.library.failure = 'this file is not a video we can decode')],
  ])('ends without a recording when %s, and still removes the live files after the linger', async (_what, breakIt) => {
    const s = setup();
    const id = await s.publishedShow('Broken');
    breakIt(s);
    await s.parts.shows.end(id);
    await s.clock.advance(LINGER_MS);
    expect(await s.recordingId(id)).toBeUndefined();
    expect(s.library.imports).toEqual([]);
    expect(s.folder(id)).toBe(false);
  });

  it('has nothing to do for a show nobody published to', async () => {
    const { clock, library, parts, storage, recordingId } = setup();
    const created = await parts.shows.create({ title: 'Never live', creatorName: 'Ann' }, '203.0.113.7', 'h');
    await parts.shows.end(created.show.id);
    await clock.advance(LINGER_MS);
    expect(parts.encoder.joined).toEqual([]);
    expect(library.imports).toEqual([]);
    expect(await recordingId(created.show.id)).toBeUndefined();
    expect(storage.has(storage.showDir(created.show.id))).toBe(false);
  });

  it('lets shutdown wait for a wrap-up at most the grace it is given', async () => {
    const { clock, library, parts, publishedShow } = setup();
    const id = await publishedShow('Held');
    library.hold();
    await parts.shows.end(id);
    let drained = false;
    void parts.recorder.drain(3000).then(() => (drained = true));
    await clock.advance(2999);
    expect(drained).toBe(false);
    await clock.advance(1);
    expect(drained).toBe(true);
  });
});
