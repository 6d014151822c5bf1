import { Global, Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { RedisService } from '../redis/redis.service';
import { StoreService } from '../store/store.service';
import { MemoryRateLimiter, RateLimiter, RedisRateLimiter, SqliteRateLimiter } from './rate-limiter';

/**
 * The one rate limiter, used by REST (party creation, passwords, uploads) and sockets (control
 * and chat events): shared by all replicas with Redis, kept in the SQLite store without, in
 * memory with STORE=memory.
 */
@Global()
@Module({
  providers: [
    {
      provide: RateLimiter,
      inject: [RedisService, StoreService, Clock],
      useFactory: (redis: RedisService, store: StoreService, clock: Clock) =>
        redis.client
          ? new RedisRateLimiter(redis.client)
          : store.sqlite
            ? new SqliteRateLimiter(store.sqlite, clock)
            : new MemoryRateLimiter(clock),
    },
  ],
  exports: [RateLimiter],
})
export class LimitsModule {}
