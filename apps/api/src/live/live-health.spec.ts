import { newId } from '../common/ids';
import { FakeClock } from '../common/testing/fake-clock';
import { HEALTH_CACHE_MS, LiveHealth } from './live-health';
import { PLAYLIST_NAME } from './live-storage';
import type { LiveRecord } from './live.repository';
import { MemoryLiveStorage } from './testing/memory-live-storage';

const show = (over: Partial<LiveRecord> = {}): LiveRecord => ({
  id: newId(),
  title: 't',
  creatorName: 'c',
  status: 'live',
  createdAt: new Date(0).toISOString(),
  startedAt: new Date(0).toISOString(),
  endedAt: null,
  sessionId: newId(),
  creatorParticipantId: newId(),
  keyHash: '00',
  hlsReady: true,
  runs: 1,
  lastPublisherAt: 0,
  pdt: [],
  ...over,
});

describe('live stream health', () => {
  let clock: FakeClock;
  let storage: MemoryLiveStorage;
  let health: LiveHealth;

  beforeEach(() => {
    clock = new FakeClock();
    storage = new MemoryLiveStorage(clock);
    health = new LiveHealth(storage, clock);
  });

  /** Lists segments `from`..`from + n - 1` of `duration` s, each `bytes` long, written now. */
  async function listSegments(id: string, from: number, n: number, duration: number, bytes: number) {
    const dir = await storage.prepare(id);
    const lines = ['#EXTM3U'];
    for (let seq = from; seq < from + n; seq++) {
      storage.put(storage.segmentPath(id, seq), Buffer.alloc(bytes));
      lines.push(`#EXTINF:${duration.toFixed(6)},`, `seg_${seq}.ts`);
    }
    storage.put(`${dir}/${PLAYLIST_NAME}`, lines.join('\n'));
  }

  it('is null before the first segment is listed, and shows that segment at the next poll (nothing cached meanwhile)', async () => {
    const r = show();
    expect(await health.of(r)).toBeNull();
    await storage.prepare(r.id);
    expect(await health.of(r)).toBeNull();
    await listSegments(r.id, 0, 1, 1, 1000);
    expect(await health.of(r)).toMatchObject({ kbps: 8, segmentSeconds: 1 });
  });

  it('measures bit rate over the listed segments, the newest segment length and age, and carries the heartbeat frame rate', async () => {
    const r = show({ outputFps: 29.97 });
    await listSegments(r.id, 4, 3, 1, 250_000); // 3 x 250 kB over 3 s = 2000 kbit/s
    await clock.advance(400);
    expect(await health.of(r)).toEqual({ kbps: 2000, segmentSeconds: 1, lastSegmentAgeMs: 400, fps: 29.97 });
    expect(await health.of({ ...r, outputFps: null })).toMatchObject({ fps: null }); // audio only
    expect(await health.of({ ...r, outputFps: undefined })).toMatchObject({ fps: null }); // not measured yet
  });

  it('leaves out segments already deleted from the folder', async () => {
    const r = show();
    await listSegments(r.id, 0, 1, 2, 100_000);
    // seg_9 is listed but its file is gone: only seg_0 (100 kB over 2 s) counts; the newest listed sets the length.
    storage.put(`${storage.showDir(r.id)}/${PLAYLIST_NAME}`, '#EXTM3U\n#EXTINF:2.0,\nseg_0.ts\n#EXTINF:2.5,\nseg_9.ts\n');
    expect(await health.of(r)).toMatchObject({ kbps: 400, segmentSeconds: 2.5 });
  });

  it(`reads the files at most once per ${HEALTH_CACHE_MS} ms per show, however often it is polled; the age keeps counting`, async () => {
    const a = show();
    const b = show();
    await listSegments(a.id, 0, 2, 1, 1000);
    await listSegments(b.id, 0, 2, 1, 1000);
    const reads = () => storage.playlistReads;
    await health.of(a);
    await health.of(b);
    expect(reads()).toBe(2);
    for (let i = 0; i < 10; i++) await health.of(a);
    await clock.advance(HEALTH_CACHE_MS - 1);
    expect(await health.of(a)).toMatchObject({ kbps: 8, lastSegmentAgeMs: HEALTH_CACHE_MS - 1 });
    expect(reads()).toBe(2);
    // Newer segments written meanwhile show after the cache time, not before.
    await listSegments(a.id, 2, 2, 1, 2000);
    expect(await health.of(a)).toMatchObject({ kbps: 8 });
    await clock.advance(1);
    expect(await health.of(a)).toMatchObject({ kbps: 16, lastSegmentAgeMs: 1 }); // the playlist now lists seg_2, seg_3
    expect(reads()).toBe(3);
  });
});
