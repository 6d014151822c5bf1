import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MediaModule } from '../media/media.module';
import { RedisService } from '../redis/redis.service';
import { SessionModule } from '../session/session.module';
import { StoreService } from '../store/store.service';
import { FfmpegLiveEncoder } from './ffmpeg-live-encoder';
import { LiveEncoder } from './live-encoder';
import { LiveIngestGateway } from './live-ingest.gateway';
import { LiveWatchGateway } from './live-watch.gateway';
import { LiveWatchHub } from './live-watch.hub';
import { LiveParties, SessionLiveParties } from './live-parties';
import { LiveHealth } from './live-health';
import { LiveIngest } from './live-ingest.service';
import { LiveLifecycle } from './live-lifecycle';
import { LiveRecorder } from './live-recorder';
import { LiveRtmp } from './live-rtmp';
import { LiveShows } from './live-shows.service';
import { DiskLiveStorage, LiveStorage } from './live-storage';
import { LiveSweeper } from './live-sweeper';
import { LiveThumbnails } from './live-thumbnails';
import { LiveViewers } from './live-viewers';
import { LiveController } from './live.controller';
import { LiveRepository, MemoryLiveRepository } from './live.repository';
import { RedisLiveRepository } from './live.repository.redis';
import { SqliteLiveRepository } from './live.repository.sqlite';

/**
 * Live shows: REST (shows), RTMP and browser ingest (ingest, rtmp), one packager per show (HLS +
 * fMP4 over /live-watch), recordings into the library (recorder), the sweeper, health, card
 * pictures and viewers; every file of a show through LiveStorage.
 */
@Module({
  imports: [SessionModule, MediaModule],
  controllers: [LiveController],
  providers: [
    LiveShows,
    LiveIngest,
    LiveRtmp,
    LiveRecorder,
    LiveSweeper,
    LiveHealth,
    LiveThumbnails,
    LiveViewers,
    LiveLifecycle,
    LiveIngestGateway,
    LiveWatchHub,
    LiveWatchGateway,
    { provide: LiveParties, useClass: SessionLiveParties },
    {
      provide: LiveStorage,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new DiskLiveStorage(config.mediaDir),
    },
    {
      provide: LiveEncoder,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new FfmpegLiveEncoder(config.ffmpegPath),
    },
    {
      provide: LiveRepository,
      inject: [RedisService, StoreService, Clock],
      useFactory: (redis: RedisService, store: StoreService, clock: Clock) =>
        redis.client ? new RedisLiveRepository(redis.client) : store.sqlite
          ? new SqliteLiveRepository(store.sqlite, clock)
          : new MemoryLiveRepository(clock),
    },
  ],
})
export class LiveModule {}
