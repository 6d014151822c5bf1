import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminService } from '../../admin/admin.service';
import { FakeClock } from '../../common/testing/fake-clock';
import { type AppConfig, loadConfig } from '../../config/app-config';
import { MemoryRateLimiter } from '../../limits/rate-limiter';
import { Metrics } from '../../ops/metrics';
import { Refusals } from '../../ops/refusals';
import { RecordingBroadcaster } from '../../realtime/testing/recording-broadcaster';
import { RedisService } from '../../redis/redis.service';
import { StoreService } from '../../store/store.service';
import { InProcessJobQueue } from '../job-queue';
import { MemoryMediaRepository } from '../media.repository';
import { MediaService } from '../media.service';
import { MediaStorage } from '../media-storage';
import { FakeTranscoder } from './fake-transcoder';

/** One API process's media side, as `MediaKit.start` built it. */
export interface MediaLibrary {
  media: MediaService;
  storage: MediaStorage;
  transcoder: FakeTranscoder;
  broadcaster: RecordingBroadcaster;
  metrics: Metrics;
  config: AppConfig;
}

/**
 * What the media unit specs share: a temp MEDIA_DIR, a FakeClock, one in-memory repository and
 * one fake transcoder that every started "process" uses (so a restart is `start()` again), and
 * the shutdown of whatever is still running at the end.
 */
export class MediaKit {
  readonly dir: string;
  readonly clock = new FakeClock();
  readonly repo = new MemoryMediaRepository();
  readonly transcoder = new FakeTranscoder();
  private started: MediaLibrary[] = [];

  constructor(
    prefix: string,
    private readonly adminToken: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** A process of the API over the shared repository and MEDIA_DIR, started as Nest starts it. */
  async start(env: Record<string, string> = {}): Promise<MediaLibrary> {
    const { dir, clock } = this;
    const config = loadConfig({ DATA_DIR: dir, MEDIA_DIR: join(dir, 'media'), STORE: 'memory', ADMIN_TOKEN: this.adminToken, ...env });
    const storage = new MediaStorage(config.mediaDir, { shared: false, clock });
    const broadcaster = new RecordingBroadcaster();
    const metrics = new Metrics();
    const admins = new AdminService(config, new StoreService(config, new RedisService(config)));
    await admins.onModuleInit();
    const media = new MediaService(
      this.repo,
      storage,
      this.transcoder,
      new InProcessJobQueue(config.transcodeConcurrency),
      broadcaster,
      clock,
      config,
      metrics,
      new MemoryRateLimiter(clock),
      new Refusals(metrics, clock),
      admins,
    );
    await media.onModuleInit();
    const lib = { media, storage, transcoder: this.transcoder, broadcaster, metrics, config };
    this.started.push(lib);
    return lib;
  }

  /** The processes started so far stop being shut down at the end (a spec stopped them itself). */
  forgetStarted(): void {
    this.started = [];
  }

  async close(): Promise<void> {
    for (const lib of this.started) await lib.media.beforeApplicationShutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
