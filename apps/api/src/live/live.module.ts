import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { RedisService } from '../redis/redis.service';
import { SessionModule } from '../session/session.module';
import { LiveIngestGateway } from './live-ingest.gateway';
import { LiveController } from './live.controller';
import { LiveRepository, MemoryLiveRepository } from './live.repository';
import { RedisLiveRepository } from './live.repository.redis';
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
      inject: [RedisService],
      useFactory: (redis: RedisService) => (redis.client ? new RedisLiveRepository(redis.client) : new MemoryLiveRepository()),
    },
  ],
})
export class LiveModule {}
