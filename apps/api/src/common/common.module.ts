import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { RedisService } from '../redis/redis.service';
import { Clock, SystemClock } from './clock';
import { JsonErrorFilter } from './http-errors';
import { StoreService } from '../store/store.service';
import { MemoryRateLimiter, RateLimiter, RedisRateLimiter, SqliteRateLimiter } from './rate-limiter';

@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: APP_FILTER, useClass: JsonErrorFilter },
    {
      // One limiter for every feature: shared by all replicas with Redis, kept in the store without.
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
  exports: [Clock, RateLimiter],
})
export class CommonModule {}
