import type { RepositoryFixture } from './repository-matrix';
import { newId } from '../src/common/ids';
import type { LiveRecord, LiveRepository } from '../src/live/live.repository';

export type LiveRepositoryFixture = RepositoryFixture<LiveRepository>;

let clock = Date.parse('2031-01-01T00:00:00Z');
const liveRecord = (over: Partial<LiveRecord> = {}): LiveRecord => ({
  id: newId(),
  title: 'Launch ✓',
  creatorName: 'Ann',
  status: 'scheduled',
  createdAt: new Date((clock += 1000)).toISOString(),
  startedAt: null,
  endedAt: null,
  sessionId: newId(),
  creatorParticipantId: newId(),
  keyHash: newId() + newId(),
  hlsReady: false,
  runs: 0,
  lastPublisherAt: null,
  pdt: [],
  ...over,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One behaviour, every storage: each LiveRepository implementation must pass this. */
export function liveRepositoryContract(
  name: string,
  setup: () => Promise<LiveRepositoryFixture>,
  teardown: () => Promise<void>,
  { durable = false }: { durable?: boolean } = {},
) {
  describe(`LiveRepository contract: ${name}`, () => {
    let repo: LiveRepository;
    let peer: LiveRepository;
    let reopen: LiveRepositoryFixture['reopen'];

    beforeEach(async () => {
      ({ repo, peer, reopen } = await setup());
    });
    afterEach(teardown);

    it('stores a show whole, finds it by key hash from a peer, lists newest first', async () => {
      const a = liveRecord({ title: 'a' });
      const b = liveRecord({ title: 'b', recordingMediaId: newId() });
      await repo.insert(a);
      await peer.insert(b);
      const read = await peer.get(a.id);
      expect(read).toEqual(a);
      expect(Array.isArray(read?.pdt)).toBe(true);
      expect(await repo.get(b.id)).toEqual(b);
      expect(await peer.idForKeyHash(a.keyHash)).toBe(a.id);
      expect(await repo.idForKeyHash('0'.repeat(64))).toBeNull();
      expect(await repo.get(newId())).toBeNull();
      expect((await repo.list()).map((r) => r.title)).toEqual(['b', 'a']);
    });

    it('merges patches only from the allowed statuses', async () => {
      const r = liveRecord();
      await repo.insert(r);
      expect(await peer.update(r.id, { hlsReady: true }, ['live'])).toBeNull();
      const started = { status: 'live' as const, startedAt: '2031-01-01T00:10:00.000Z', runs: 1, lastPublisherAt: 1925000000123 };
      expect(await peer.update(r.id, started, ['scheduled'])).toEqual({ ...r, ...started });
      const pdt = [{ fromSeq: 0, offsetMs: -12.5 }];
      expect(await repo.update(r.id, { hlsReady: true, pdt }, ['live'])).toEqual({ ...r, ...started, hlsReady: true, pdt });
      const ended = await repo.update(r.id, { status: 'ended', endedAt: '2031-01-01T01:00:00.000Z' });
      expect(ended).toMatchObject({ status: 'ended', runs: 1, hlsReady: true, pdt });
      expect(await peer.update(r.id, { lastPublisherAt: 1 }, ['live'])).toBeNull();
      expect(await peer.get(r.id)).toEqual(ended);
      expect(await repo.update(newId(), { hlsReady: true })).toBeNull();
    });

    it('lets one publisher hold a show at a time, until its lock expires', async () => {
      const id = newId();
      expect(await repo.publisherHeld(id)).toBe(false);
      expect(await repo.claimPublisher(id, 'owner-a', 150)).toBe(true);
      expect(await peer.claimPublisher(id, 'owner-b', 150)).toBe(false);
      expect(await peer.publisherHeld(id)).toBe(true);
      expect(await repo.refreshPublisher(id, 'owner-a', 150)).toBe(true);
      expect(await peer.refreshPublisher(id, 'owner-b', 150)).toBe(false);
      await peer.releasePublisher(id, 'owner-b'); // not the owner: no effect
      expect(await repo.publisherHeld(id)).toBe(true);
      await repo.releasePublisher(id, 'owner-a');
      expect(await peer.publisherHeld(id)).toBe(false);
      expect(await peer.claimPublisher(id, 'owner-b', 100)).toBe(true);
      await sleep(200);
      expect(await repo.publisherHeld(id)).toBe(false);
      expect(await peer.refreshPublisher(id, 'owner-b', 100)).toBe(false);
      expect(await repo.claimPublisher(id, 'owner-a', 100)).toBe(true);
    });

    if (!durable) return;
    it('counts distinct HLS viewers within the window, from every replica', async () => {
      const id = newId();
      const t = Date.parse('2031-02-01T00:00:00Z');
      await repo.markHlsViewer(id, 'a', t, 10_000);
      await peer.markHlsViewer(id, 'b', t + 1000, 10_000);
      await repo.markHlsViewer(id, 'a', t + 2000, 10_000); // the same viewer again
      expect(await peer.countHlsViewers(id, t + 2000, 10_000)).toBe(2);
      expect(await repo.countHlsViewers(id, t + 10_500, 10_000)).toBe(2); // 'b' (t+1000) still in
      expect(await repo.countHlsViewers(id, t + 11_500, 10_000)).toBe(1); // only 'a' (t+2000)
      expect(await repo.countHlsViewers(id, t + 12_500, 10_000)).toBe(0);
      expect(await repo.countHlsViewers(newId(), t, 10_000)).toBe(0);
    });

    it('keeps shows and their recordings across a reopen (restart)', async () => {
      if (!reopen) throw new Error('a durable storage fixture must offer reopen()');
      const ended = liveRecord({ title: 'ended' });
      const scheduled = liveRecord({ title: 'scheduled' });
      await repo.insert(ended);
      await repo.insert(scheduled);
      const recording = newId();
      await repo.update(ended.id, { status: 'ended', runs: 2, pdt: [{ fromSeq: 5, offsetMs: 3 }], recordingMediaId: recording });
      const again = await reopen();
      expect(await again.list()).toEqual([
        scheduled,
        { ...ended, status: 'ended', runs: 2, pdt: [{ fromSeq: 5, offsetMs: 3 }], recordingMediaId: recording },
      ]);
      expect(await again.idForKeyHash(ended.keyHash)).toBe(ended.id);
    });
  });
}
