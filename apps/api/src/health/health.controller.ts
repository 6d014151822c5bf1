import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { Health } from '@watch-party/contracts';
import type { Response } from 'express';
import { MediaService } from '../media/media.service';
import { ShutdownService } from '../ops/shutdown.service';
import { RedisService } from '../redis/redis.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly redis: RedisService,
    private readonly media: MediaService,
    private readonly shutdown: ShutdownService,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live(): Health {
    return { status: 'ok', transcoding: this.media.transcodingAvailable ? 'available' : 'unavailable' };
  }

  /**
   * Readiness: Redis reachable (when configured) and not shutting down. ffmpeg is reported,
   * not required: without it the replica still serves parties and files.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const redisOk = await this.redis.ping();
    const redis = this.redis.enabled ? (redisOk ? 'ok' : 'down') : 'none';
    const transcoding = this.media.transcodingAvailable ? 'available' : 'unavailable';
    const problem = this.shutdown.draining ? 'shutting down' : redisOk ? null : 'redis is not reachable';
    if (problem) {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { statusCode: 503, error: 'Service Unavailable', message: problem, redis, transcoding };
    }
    return { status: 'ok', redis, transcoding };
  }
}
