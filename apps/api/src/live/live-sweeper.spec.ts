import { Logger } from '@nestjs/common';
import { Clock, type Timer } from '../common/clock';
import { FakeClock } from '../common/testing/fake-clock';
import { loadConfig } from '../config/app-config';
import { FakeMediaImporter } from '../media/testing/fake-media-importer';
import { LOCK_TTL_MS } from './live-ingest.service';
import { SCHEDULED_TTL_MS, SWEEP_MAX_MS, SWEEP_MIN_MS, sweepEvery } from './live-sweeper';
import { MemoryLiveRepository } from './live.repository';
import { FakeLiveParties } from './testing/fake-live-parties';
import { liveParts } from './testing/live-kit';
import { MemoryLiveStorage } from './testing/memory-live-storage';

/** Longer than the slot's TTL: a dead publisher's slot has expired by the time the grace is over. */
const GRACE_MS = 8000;

/** Time goes on, timers never run: each sweep is called by hand, no heartbeat refreshes anything. */
class TimersStopped extends Clock {
  constructor(private readonly base: FakeClock) {
    super();
  }
  now() {
    return this.base.now();
  }
  setTimeout(): Timer {
    return { cancel: () => undefined };
  }
  setInterval(): Timer {
    return { cancel: () => undefined };
  }
}

describe('the live sweeper', () => {
  beforeAll(() => Logger.overrideLogger(false));

  function setup() {
    const clock = new FakeClock();
    const repo = new MemoryLiveRepository(clock);
    const shared = {
      repo,
      storage: new MemoryLiveStorage(clock),
      parties: new FakeLiveParties(),
      library: new FakeMediaImporter(),
      config: loadConfig({ DATA_DIR: '/nonexistent', STORE: 'memory', RTMP_PORT: '0', LIVE_PUBLISHER_GRACE_MS: String(GRACE_MS) }),
    };
    // Two replicas: `here` sweeps, `there` publishes; no timer runs on either.
    const here = liveParts(shared, new TimersStopped(clock));
    const there = liveParts(shared, new TimersStopped(clock));
    const status = async (id: string) => (await repo.get(id))?.status;
    return { clock, repo, here, there, status };
  }

  it(`runs every half grace, between ${SWEEP_MIN_MS} and ${SWEEP_MAX_MS} ms`, () => {
    expect(sweepEvery(100)).toBe(SWEEP_MIN_MS);
    expect(sweepEvery(1000)).toBe(500);
    expect(sweepEvery(15_000)).toBe(SWEEP_MAX_MS);
  });

  it('ends a live show once its publisher (on another replica) was last seen more than the grace ago', async () => {
    const { clock, here, there, status } = setup();
    const created = await there.shows.create({ title: 'Far away', creatorName: 'Ann' }, '203.0.113.7', 'h');
    await there.ingest.openPublisher(created.streamKey, 'rtmp', 0, 'x');
    await clock.advance(LOCK_TTL_MS - 1);
    await here.sweeper.sweep();
    expect(await status(created.show.id)).toBe('live'); // within the grace (and its slot held)
    await clock.advance(GRACE_MS - LOCK_TTL_MS);
    await here.sweeper.sweep();
    expect(await status(created.show.id)).toBe('live'); // exactly the grace
    await clock.advance(2);
    await here.sweeper.sweep();
    expect(await status(created.show.id)).toBe('ended');
  });

  it('never ends a show whose publisher is on this replica, nor a fresh scheduled one; ends a day-old scheduled one', async () => {
    const { clock, here, status } = setup();
    const onAir = await here.shows.create({ title: 'Here', creatorName: 'Ann' }, '203.0.113.7', 'h');
    await here.ingest.openPublisher(onAir.streamKey, 'browser', 0, 'x'); // no heartbeat: its slot expires, it is still here
    const waiting = await here.shows.create({ title: 'Later', creatorName: 'Ann' }, '203.0.113.7', 'h');
    await clock.advance(SCHEDULED_TTL_MS);
    await here.sweeper.sweep();
    expect(await status(onAir.show.id)).toBe('live');
    expect(await status(waiting.show.id)).toBe('scheduled');
    await clock.advance(1);
    await here.sweeper.sweep();
    expect(await status(waiting.show.id)).toBe('ended');
  });
});
