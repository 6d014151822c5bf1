import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { RedisService } from '../redis/redis.service';
import { SessionModule } from '../session/session.module';
import { StoreService } from '../store/store.service';
import { LiveIngestGateway } from './live-ingest.gateway';
import { LiveController } from './live.controller';
import { LiveRepository, MemoryLiveRepository } from './live.repository';
import { RedisLiveRepository } from './live.repository.redis';
import { SqliteLiveRepository } from './live.repository.sqlite';
import { LiveService } from './live.service';

/** Live shows: RTMP and browser ingest, one HLS packager per show, recordings into the library. */
@Module({
  imports: [SessionModule, MediaModule],
  controllers: [LiveController],
  providers: [
    LiveService,
    LiveIngestGateway,
    {
      provide: LiveRepository,
      inject: [RedisService, StoreService],
      useFactory: (redis: RedisService, store: StoreService) =>
        redis.client ? new RedisLiveRepository(redis.client) : store.sqlite
          ? new SqliteLiveRepository(store.sqlite)
          : new MemoryLiveRepository(),
    },
  ],
})
export class LiveModule {}
