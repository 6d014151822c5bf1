import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { RedisService } from '../redis/redis.service';
import { Clock, SystemClock } from './clock';
import { JsonErrorFilter } from './http-errors';
import { MemoryRateLimiter, RateLimiter, RedisRateLimiter } from './rate-limiter';

@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: APP_FILTER, useClass: JsonErrorFilter },
    {
      // One limiter for every feature: shared by all replicas when Redis is configured.
      provide: RateLimiter,
      inject: [RedisService, Clock],
      useFactory: (redis: RedisService, clock: Clock) =>
        redis.client ? new RedisRateLimiter(redis.client) : new MemoryRateLimiter(clock),
    },
  ],
  exports: [Clock, RateLimiter],
})
export class CommonModule {}
