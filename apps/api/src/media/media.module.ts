import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';
import { StoreService } from '../store/store.service';
import { BroadcastModule } from '../sync/broadcast.module';
import { FfmpegTranscoder } from './ffmpeg.transcoder';
import { BullJobQueue, InProcessJobQueue, JobQueue } from './job-queue';
import { MediaController } from './media.controller';
import { MediaRepository, MemoryMediaRepository } from './media.repository';
import { RedisMediaRepository } from './media.repository.redis';
import { SqliteMediaRepository } from './media.repository.sqlite';
import { MediaStorage } from './media-storage';
import { MediaService } from './media.service';
import { Transcoder } from './transcoder';

@Module({
  imports: [BroadcastModule],
  controllers: [MediaController],
  providers: [
    MediaService,
    {
      provide: MediaRepository,
      inject: [RedisService, StoreService],
      useFactory: (redis: RedisService, store: StoreService) =>
        redis.client ? new RedisMediaRepository(redis.client) : store.sqlite
          ? new SqliteMediaRepository(store.sqlite)
          : new MemoryMediaRepository(),
    },
    {
      provide: MediaStorage,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new MediaStorage(config.mediaDir, { shared: config.redisUrl !== null }),
    },
    {
      provide: Transcoder,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new FfmpegTranscoder(config.ffmpegPath, config.ffprobePath),
    },
    {
      provide: JobQueue,
      inject: [RedisService, APP_CONFIG],
      useFactory: (redis: RedisService, config: AppConfig) =>
        redis.client ? new BullJobQueue(redis, config.transcodeConcurrency) : new InProcessJobQueue(config.transcodeConcurrency),
    },
  ],
  exports: [MediaService],
})
export class MediaModule {}
