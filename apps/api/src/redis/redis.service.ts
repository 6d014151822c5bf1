import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** Owns every ioredis connection of this process; null client when REDIS_URL is unset. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly connections: Redis[] = [];
  readonly client: Redis | null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Commands answer within 2 s even while Redis is down: callers get an error, not a hang.
    this.client = config.redisUrl ? this.connect('main', { commandTimeout: 2000 }) : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  /** A new connection (Socket.IO pub/sub, blocking queues) closed with the app. */
  connect(name: string, options: RedisOptions = {}): Redis {
    if (!this.config.redisUrl) throw new Error('REDIS_URL is not set');
    const redis = new Redis(this.config.redisUrl, {
      connectionName: `watch-party:${name}`,
      // Commands fail fast while Redis is down instead of queueing forever.
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      ...options,
    });
    redis.on('error', (err: Error) => this.logger.warn(`${name}: ${err.message}`));
    this.connections.push(redis);
    return redis;
  }

  async ping(): Promise<boolean> {
    if (!this.client) return true;
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.connections.map((c) => c.quit().catch(() => c.disconnect())),
    );
  }
}
