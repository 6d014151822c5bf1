import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../common/ids';
import { FakeClock } from '../common/testing/fake-clock';
import { DiskLiveStorage, type LiveStorage, PLAYLIST_NAME } from './live-storage';
import { MemoryLiveStorage } from './testing/memory-live-storage';

/** Each storage, and how a spec puts a file into a show's folder as ffmpeg would. */
interface Subject {
  storage: LiveStorage;
  write(path: string, text: string): void;
  cleanup(): void;
}

const subjects: [string, () => Subject][] = [
  [
    'in memory (the unit specs\' fake)',
    () => {
      const storage = new MemoryLiveStorage(new FakeClock());
      return { storage, write: (p, t) => storage.put(p, t), cleanup: () => undefined };
    },
  ],
  [
    'on disk (a temp MEDIA_DIR)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'wp-live-storage-'));
      return { storage: new DiskLiveStorage(dir), write: (p, t) => writeFileSync(p, t), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

const playlist = (...seqs: number[]) => ['#EXTM3U', '#EXT-X-MEDIA-SEQUENCE:' + seqs[0], ...seqs.flatMap((s) => ['#EXTINF:1.000000,', `seg_${s}.ts`])].join('\n');

describe.each(subjects)('a show folder %s', (_name, make) => {
  let s: Subject;
  let id: string;

  beforeEach(() => {
    s = make();
    id = newId();
  });
  afterEach(() => s.cleanup());

  it('builds paths from show ids only, and serves only the playlist and segment names', () => {
    expect(() => s.storage.showDir('../etc')).toThrow('invalid show id');
    expect(s.storage.hlsPath(id, PLAYLIST_NAME)).toBe(join(s.storage.showDir(id), PLAYLIST_NAME));
    expect(s.storage.hlsPath(id, 'seg_12.ts')).toBe(join(s.storage.showDir(id), 'seg_12.ts'));
    for (const name of ['rec_1.ts', 'run_1.m3u8', 'recording.mp4', '../x', 'seg_1.ts/..', 'seg_1234567890.ts']) expect(s.storage.hlsPath(id, name)).toBeNull();
    expect(s.storage.hlsPath('../etc', PLAYLIST_NAME)).toBeNull();
  });

  it('answers "nothing yet" before the folder exists, and null parts (nothing published)', async () => {
    expect(await s.storage.readPlaylist(id)).toBeNull();
    expect((await s.storage.readWindow(id)).segments).toEqual([]);
    expect(await s.storage.nextSegmentNumber(id)).toBe(0);
    expect(await s.storage.recordingParts(id)).toBeNull();
    await s.storage.endPlaylist(id); // no-op
    expect(await s.storage.readPlaylist(id)).toBeNull();
    await s.storage.remove(id); // no-op
  });

  it('numbers the next run after every listed segment and every segment file left over', async () => {
    const dir = await s.storage.prepare(id);
    s.write(join(dir, PLAYLIST_NAME), playlist(3, 4, 5));
    expect(await s.storage.nextSegmentNumber(id)).toBe(6);
    s.write(join(dir, 'seg_9.ts'), 'x');
    expect(await s.storage.nextSegmentNumber(id)).toBe(10);
  });

  it('lists the recording parts in run order (rec_10 after rec_2), nothing else', async () => {
    const dir = await s.storage.prepare(id);
    for (const name of ['rec_10.ts', 'rec_2.ts', 'rec_1.ts', 'seg_1.ts', 'rec_x.ts', 'recording.mp4']) s.write(join(dir, name), 'x');
    expect(await s.storage.recordingParts(id)).toEqual([1, 2, 10].map((n) => join(dir, `rec_${n}.ts`)));
  });

  it('ends the playlist once (EXT-X-ENDLIST), keeping its segments; then removes the folder', async () => {
    const dir = await s.storage.prepare(id);
    s.write(join(dir, PLAYLIST_NAME), playlist(7, 8));
    s.write(join(dir, 'seg_8.ts'), 'abc');
    await s.storage.endPlaylist(id);
    await s.storage.endPlaylist(id);
    const text = (await s.storage.readPlaylist(id)) ?? '';
    expect(text.match(/#EXT-X-ENDLIST/g)).toHaveLength(1);
    expect((await s.storage.readWindow(id)).segments.map((x) => x.seq)).toEqual([7, 8]);
    expect(await s.storage.segmentFiles(id, [7, 8])).toEqual([{ seq: 8, bytes: 3, mtimeMs: expect.any(Number) }]);
    await s.storage.remove(id);
    expect(await s.storage.readPlaylist(id)).toBeNull();
    expect(await s.storage.info(join(dir, 'seg_8.ts'))).toBeNull();
    expect(await s.storage.recordingParts(id)).toBeNull();
  });
});

describe('the in-memory show folder is strict', () => {
  it('refuses a write into a folder that was not prepared, and a read of a missing file', async () => {
    const storage = new MemoryLiveStorage(new FakeClock());
    const id = newId();
    expect(() => storage.put(storage.segmentPath(id, 0), 'x')).toThrow(/ENOENT/);
    await storage.prepare(id);
    expect(() => storage.contents(storage.segmentPath(id, 0))).toThrow(/ENOENT/);
    storage.put(storage.segmentPath(id, 0), 'x');
    expect(storage.list(id)).toEqual(['seg_0.ts']);
  });
});
