import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { Health } from '@watch-party/contracts';
import type { Response } from 'express';
import { MediaService } from '../media/media.service';
import { RedisService } from '../redis/redis.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly redis: RedisService,
    private readonly media: MediaService,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live(): Health {
    return { status: 'ok', transcoding: this.media.transcodingAvailable ? 'available' : 'unavailable' };
  }

  /** Readiness: also needs Redis when one is configured. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const redisOk = await this.redis.ping();
    const redis = this.redis.enabled ? (redisOk ? 'ok' : 'down') : 'none';
    if (!redisOk) {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { statusCode: 503, error: 'Service Unavailable', message: 'redis is not reachable', redis };
    }
    return { status: 'ok', redis };
  }
}
