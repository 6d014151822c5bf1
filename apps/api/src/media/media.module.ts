import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';
import { StoreService } from '../store/store.service';
import { RealtimeModule } from '../realtime/realtime.module';
import { FfmpegTranscoder } from './ffmpeg.transcoder';
import { BullJobQueue, InProcessJobQueue, JobQueue } from './job-queue';
import { MediaCatalog } from './media-catalog';
import { MediaController } from './media.controller';
import { MediaFileMiddleware } from './media-file.middleware';
import { MediaFileSender } from './media-files';
import { MediaImporter } from './media-importer';
import { MediaRepository, MemoryMediaRepository } from './media.repository';
import { RedisMediaRepository } from './media.repository.redis';
import { SqliteMediaRepository } from './media.repository.sqlite';
import { MediaStorage } from './media-storage';
import { MediaService } from './media.service';
import { Transcoder } from './transcoder';

@Module({
  imports: [RealtimeModule],
  controllers: [MediaController],
  providers: [
    MediaService,
    { provide: MediaCatalog, useExisting: MediaService },
    { provide: MediaImporter, useExisting: MediaService },
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
      inject: [APP_CONFIG, Clock],
      useFactory: (config: AppConfig, clock: Clock) => new MediaStorage(config.mediaDir, { shared: config.redisUrl !== null, clock }),
    },
    {
      provide: MediaFileSender,
      inject: [MediaStorage, APP_CONFIG],
      useFactory: (storage: MediaStorage, config: AppConfig) =>
        new MediaFileSender(storage.root, config.mediaAccelRedirect, config.fileReadChunkBytes, config.mediaAccelDecisionSec),
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
  exports: [MediaService, MediaCatalog, MediaImporter],
})
export class MediaModule implements NestModule {
  /** The original's GET/HEAD, the hottest file route, answered before Nest's router. */
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(MediaFileMiddleware).forRoutes({ path: 'media/:id/file', method: RequestMethod.GET });
  }
}
