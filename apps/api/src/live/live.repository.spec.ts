import { FakeClock } from '../common/testing/fake-clock';
import { MAX_TRACKED_HLS_VIEWERS, MemoryLiveRepository } from './live.repository';

const TTL_MS = 6000;

describe('MemoryLiveRepository: the publisher slot', () => {
  it('is held by one owner until TTL after its last refresh, then free for another', async () => {
    const clock = new FakeClock();
    const repo = new MemoryLiveRepository(clock);
    expect(await repo.claimPublisher('show', 'a', TTL_MS)).toBe(true);
    expect(await repo.claimPublisher('show', 'b', TTL_MS)).toBe(false);
    await clock.advance(TTL_MS - 1);
    expect(await repo.refreshPublisher('show', 'a', TTL_MS)).toBe(true);
    expect(await repo.refreshPublisher('show', 'b', TTL_MS)).toBe(false);
    await clock.advance(TTL_MS - 1);
    expect(await repo.publisherHeld('show')).toBe(true);
    expect(await repo.claimPublisher('show', 'b', TTL_MS)).toBe(false);
    await clock.advance(1);
    expect(await repo.publisherHeld('show')).toBe(false);
    expect(await repo.refreshPublisher('show', 'a', TTL_MS)).toBe(false); // too late: it must claim again
    expect(await repo.claimPublisher('show', 'b', TTL_MS)).toBe(true);
  });

  it('is released only by its owner', async () => {
    const repo = new MemoryLiveRepository(new FakeClock());
    await repo.claimPublisher('show', 'a', TTL_MS);
    await repo.releasePublisher('show', 'b');
    expect(await repo.publisherHeld('show')).toBe(true);
    await repo.releasePublisher('show', 'a');
    expect(await repo.publisherHeld('show')).toBe(false);
  });
});

describe('MemoryLiveRepository: HLS viewers', () => {
  it('remembers at most MAX_TRACKED_HLS_VIEWERS per show (the most recent), whatever a client sends', async () => {
    const repo = new MemoryLiveRepository(new FakeClock());
    for (let i = 0; i <= MAX_TRACKED_HLS_VIEWERS; i++) await repo.markHlsViewer('show', `v${i}`, 1000 + i, 1_000_000_000);
    expect(await repo.countHlsViewers('show', 1000 + MAX_TRACKED_HLS_VIEWERS, 1_000_000_000)).toBe(MAX_TRACKED_HLS_VIEWERS);
  });
});
