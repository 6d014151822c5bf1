import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';
import { DB_FILE_NAME, SqliteStore } from './sqlite-store';

let opened: SqliteStore | null = null;

/**
 * main.ts opens the store before Nest starts, so that a bad data dir ends the start with
 * one clear line; the StoreService of that process then takes it over.
 */
export function handOverStore(store: SqliteStore): void {
  opened = store;
}

/**
 * Owns the SQLite store of this process; null when REDIS_URL is set (Redis holds the data) or
 * STORE=memory (nothing outlives the process).
 */
@Injectable()
export class StoreService implements OnApplicationShutdown {
  readonly sqlite: SqliteStore | null;
  /** STORE=memory: the values `sharedValue` hands out. */
  private readonly volatile = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisService,
  ) {
    if (config.redisUrl || config.store === 'memory') {
      this.sqlite = null;
      return;
    }
    const path = resolve(config.dataDir, DB_FILE_NAME);
    if (opened?.path === path && opened.isOpen) {
      this.sqlite = opened;
      opened = null;
    } else {
      this.sqlite = SqliteStore.open(config.dataDir);
    }
  }


  /**
   * A value generated once for the whole deployment (a secret): the stored one, or `fresh`
   * stored now when there is none. In Redis with REDIS_URL (shared by every replica), else in
   * the SQLite store. `created` tells whether `fresh` became the value.
   */
  async sharedValue(key: string, fresh: string): Promise<{ value: string; created: boolean }> {
    const redis = this.redis.client;
    if (!redis) {
      const value = this.sqlite ? this.sqlite.metaGetOrSet(key, fresh) : (this.volatile.get(key) ?? fresh);
      this.volatile.set(key, value);
      return { value, created: value === fresh };
    }
    const created = (await redis.set(`wp:${key}`, fresh, 'NX')) === 'OK';
    const value = created ? fresh : await redis.get(`wp:${key}`);
    if (value === null) throw new Error(`could not read ${key} from Redis`);
    return { value, created };
  }

  /** After every other shutdown hook has written what it had to. */
  onApplicationShutdown(): void {
    this.sqlite?.close();
  }
}
