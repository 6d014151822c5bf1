import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MediaModule } from '../media/media.module';
import { RedisService } from '../redis/redis.service';
import { StoreService } from '../store/store.service';
import { SessionController } from './session.controller';
import { SessionRepository } from './session.repository';
import { MemorySessionRepository } from './session.repository.memory';
import { RedisSessionRepository } from './session.repository.redis';
import { SqliteSessionRepository } from './session.repository.sqlite';
import { SessionService } from './session.service';
import { TokenService } from './token.service';

@Module({
  imports: [MediaModule],
  controllers: [SessionController],
  providers: [
    SessionService,
    TokenService,
    {
      provide: SessionRepository,
      inject: [RedisService, StoreService, Clock, APP_CONFIG],
      useFactory: (redis: RedisService, store: StoreService, clock: Clock, config: AppConfig) =>
        redis.client
          ? new RedisSessionRepository(redis.client, config.replicaId)
          : store.sqlite
            ? new SqliteSessionRepository(store.sqlite, clock)
            : new MemorySessionRepository(clock),
    },
  ],
  exports: [SessionService, TokenService, SessionRepository],
})
export class SessionModule {}
