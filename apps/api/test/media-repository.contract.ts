import type { RepositoryFixture } from './repository-matrix';
import { newId } from '../src/common/ids';
import type { MediaRecord, MediaRepository } from '../src/media/media.repository';

export type MediaRepositoryFixture = RepositoryFixture<MediaRepository>;

let clock = Date.parse('2031-01-01T00:00:00Z');
const mediaRecord = (over: Partial<MediaRecord> = {}): MediaRecord => ({
  id: newId(),
  title: 'Holiday ✓',
  status: 'processing',
  progress: 0,
  durationSec: 12.5,
  renditions: [
    { height: 360, bandwidth: 900_000 },
    { height: 720, bandwidth: 2_800_000 },
  ],
  originalName: 'original.mp4',
  contentType: 'video/mp4',
  sizeBytes: 123_456,
  hlsPlayable: false,
  hasPoster: false,
  createdAt: new Date((clock += 1000)).toISOString(),
  source: { durationSec: 12.5, width: 1280, height: 720, fps: 30, hasAudio: true },
  ...over,
});

/** One behaviour, every storage: each MediaRepository implementation must pass this. */
export function mediaRepositoryContract(
  name: string,
  setup: () => Promise<MediaRepositoryFixture>,
  teardown: () => Promise<void>,
  { durable = false }: { durable?: boolean } = {},
) {
  describe(`MediaRepository contract: ${name}`, () => {
    let repo: MediaRepository;
    let peer: MediaRepository;
    let reopen: MediaRepositoryFixture['reopen'];

    beforeEach(async () => {
      ({ repo, peer, reopen } = await setup());
    });
    afterEach(teardown);

    it('stores a record whole, readable from a peer, and copies values in and out', async () => {
      const r = mediaRecord({ error: 'x', renditions: [] });
      await repo.insert(r);
      const read = await peer.get(r.id);
      expect(read).toEqual(r);
      expect(Array.isArray(read?.renditions)).toBe(true);
      (read as MediaRecord).title = 'changed outside';
      expect((await repo.get(r.id))?.title).toBe('Holiday ✓');
      expect(await repo.get(newId())).toBeNull();
    });

    it('round-trips a field the record type gains later, without a schema change', async () => {
      const r = { ...mediaRecord(), chapters: [{ at: 0, title: 'Opening' }], futureFlag: true };
      await repo.insert(r);
      expect(await peer.get(r.id)).toEqual(r);
      expect(await repo.update(r.id, { progress: 0.5 })).toEqual({ ...r, progress: 0.5 });
    });

    it('keeps subtitle tracks and the probed subtitle streams with the record, an emptied list staying a list', async () => {
      const streams = [{ index: 2, codec: 'subrip', language: 'fre', title: null }];
      const source = { durationSec: 12.5, width: 1280, height: 720, fps: 30, hasAudio: true, subtitles: [] };
      const r = mediaRecord({ source });
      await repo.insert(r);
      const tracks = [
        { id: newId(), label: 'Français', lang: 'fre', stream: 2, bytes: 120 },
        { id: newId(), label: 'Commentary', lang: null, bytes: 64 },
      ];
      expect(await peer.update(r.id, { subtitles: tracks, source: { ...source, subtitles: streams } })).toMatchObject({ subtitles: tracks });
      expect((await repo.get(r.id))?.subtitles).toEqual(tracks);
      expect((await repo.get(r.id))?.source?.subtitles).toEqual(streams);
      await repo.update(r.id, { subtitles: [], source });
      const emptied = await peer.get(r.id);
      expect(emptied?.subtitles).toEqual([]);
      expect(emptied?.source?.subtitles).toEqual([]);
      expect((await peer.list()).find((x) => x.id === r.id)?.subtitles).toEqual([]);
      expect(await repo.delete(r.id)).toBe(true);
      expect(await peer.get(r.id)).toBeNull();
    });

    it('lists newest first', async () => {
      const a = mediaRecord({ title: 'a' });
      const b = mediaRecord({ title: 'b' });
      const c = mediaRecord({ title: 'c' });
      await repo.insert(b);
      await peer.insert(a);
      await repo.insert(c);
      expect((await peer.list()).map((r) => r.title)).toEqual(['c', 'b', 'a']);
    });

    it('merges patches, keeping other fields, and never resurrects a deleted item', async () => {
      const r = mediaRecord();
      await repo.insert(r);
      expect(await peer.update(r.id, { progress: 0.25, hlsPlayable: true })).toEqual({ ...r, progress: 0.25, hlsPlayable: true });
      const ready = await repo.update(r.id, { status: 'ready', progress: 1, renditions: [{ height: 360, bandwidth: 900_000 }] });
      expect(ready).toMatchObject({ status: 'ready', progress: 1, hlsPlayable: true, title: 'Holiday ✓' });
      expect(ready?.renditions).toEqual([{ height: 360, bandwidth: 900_000 }]);
      expect(await peer.get(r.id)).toEqual(ready);
      expect(await peer.delete(r.id)).toBe(true);
      expect(await repo.update(r.id, { progress: 0.5 })).toBeNull();
      expect(await repo.get(r.id)).toBeNull();
      expect(await repo.delete(r.id)).toBe(false);
      expect(await repo.list()).toEqual([]);
    });

    if (!durable) return;
    it('keeps the library across a reopen (restart)', async () => {
      if (!reopen) throw new Error('a durable storage fixture must offer reopen()');
      const older = mediaRecord({ title: 'older' });
      const newer = mediaRecord({ title: 'newer', status: 'ready', progress: 1, hlsPlayable: true, hasPoster: true });
      const deleted = mediaRecord({ title: 'deleted' });
      await repo.insert(older);
      await repo.insert(newer);
      await repo.insert(deleted);
      await repo.update(older.id, { status: 'failed', error: 'transcoding failed' });
      await repo.delete(deleted.id);
      const again = await reopen();
      expect(await again.list()).toEqual([newer, { ...older, status: 'failed', error: 'transcoding failed' }]);
      expect(await again.get(deleted.id)).toBeNull();
    });
  });
}
