import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { LIMITS } from '@watch-party/contracts';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config';
import type { RedisService } from './redis.service';

/** Socket.IO with the contract's limits, CORS from config, and the Redis adapter when configured. */
export class AppIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      maxHttpBufferSize: LIMITS.socketMaxBytes,
      transports: ['websocket', 'polling'],
      cors: this.config.corsOrigins.length > 0 ? { origin: this.config.corsOrigins } : undefined,
    }) as Server;
    if (this.redis.enabled) {
      server.adapter(createAdapter(this.redis.connect('io-pub'), this.redis.connect('io-sub')));
    }
    return server;
  }
}
