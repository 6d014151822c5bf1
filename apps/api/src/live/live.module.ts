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
import { LiveController } from './live.controller';
import { LiveRepository, MemoryLiveRepository } from './live.repository';
import { RedisLiveRepository } from './live.repository.redis';
import { SqliteLiveRepository } from './live.repository.sqlite';
import { LiveService } from './live.service';

/** Live shows: RTMP and browser ingest, one packager per show (HLS + fMP4 over /live-watch), recordings into the library. */
@Module({
  imports: [SessionModule, MediaModule],
  controllers: [LiveController],
  providers: [
    LiveService,
    LiveIngestGateway,
    LiveWatchHub,
    LiveWatchGateway,
    { provide: LiveParties, useClass: SessionLiveParties },
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
