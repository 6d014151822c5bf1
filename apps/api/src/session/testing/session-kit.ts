import { Logger } from '@nestjs/common';
import type { JoinedSession, Media } from '@watch-party/contracts';
import { FakeClock } from '../../common/testing/fake-clock';
import { type AppConfig, loadConfig } from '../../config/app-config';
import { MemoryRateLimiter } from '../../limits/rate-limiter';
import { MediaCatalog } from '../../media/media-catalog';
import { Metrics } from '../../ops/metrics';
import { Refusals } from '../../ops/refusals';
import { RedisService } from '../../redis/redis.service';
import { StoreService } from '../../store/store.service';
import { MemorySessionRepository } from '../session.repository.memory';
import { SessionService } from '../session.service';
import { TokenService } from '../token.service';

/** The library as other features see it, kept in a map. */
export class MemoryMediaCatalog extends MediaCatalog {
  readonly items = new Map<string, Media>();

  async find(id: string): Promise<Media | null> {
    const item = this.items.get(id);
    return item ? structuredClone(item) : null;
  }

  /** A ready item with this id. */
  add(id: string, title = 'Clip'): Media {
    const media: Media = {
      id,
      title,
      status: 'ready',
      progress: 1,
      durationSec: 60,
      renditions: [{ height: 360, bandwidth: 800_000 }],
      fileUrl: `/media/${id}/original`,
      hlsUrl: `/media/${id}/hls/master.m3u8`,
      posterUrl: null,
      subtitles: [],
      createdAt: new Date(0).toISOString(),
      sizeBytes: 1024,
    };
    this.items.set(id, media);
    return media;
  }
}

/** An APP_SECRET for tokens signed in unit tests. */
export const UNIT_TEST_SECRET = 'unit-test-secret-0123456789';

/**
 * What every replica of a deployment shares, in memory: the store (MemorySessionRepository, the
 * contract-tested in-memory implementation), the rate limiter, the library, the token secret,
 * and one FakeClock driving all time. Nothing here opens a file, a socket or a process.
 */
export interface SessionKit {
  clock: FakeClock;
  config: AppConfig;
  sessions: MemorySessionRepository;
  limiter: MemoryRateLimiter;
  catalog: MemoryMediaCatalog;
  tokens: TokenService;
  /** A SessionService of its own (each replica has one; they share the store). */
  sessionService(metrics?: Metrics): SessionService;
  close(): Promise<void>;
}

export async function createSessionKit(env: Record<string, string> = {}): Promise<SessionKit> {
  // Unit tests assert outcomes, not log lines.
  Logger.overrideLogger(false);
  const clock = new FakeClock();
  const config = loadConfig({ STORE: 'memory', APP_SECRET: UNIT_TEST_SECRET, ...env });
  const sessions = new MemorySessionRepository(clock);
  const limiter = new MemoryRateLimiter(clock);
  const catalog = new MemoryMediaCatalog();
  const tokens = new TokenService(config, new StoreService(config, new RedisService(config)));
  await tokens.onModuleInit();
  return {
    clock,
    config,
    sessions,
    limiter,
    catalog,
    tokens,
    sessionService: (metrics = new Metrics()) =>
      new SessionService(sessions, limiter, tokens, clock, config, catalog, metrics, new Refusals(metrics, clock)),
    close: () => sessions.close(),
  };
}

/** A party with a host and guests who joined in order, one second apart (so join order is unambiguous). */
export interface Party {
  sessionId: string;
  host: JoinedSession;
  guests: JoinedSession[];
}

export async function createParty(
  kit: SessionKit,
  service: SessionService,
  guestNames: string[] = [],
  hostName = 'Host',
): Promise<Party> {
  const host = await service.create({ hostName }, '192.0.2.1');
  const guests: JoinedSession[] = [];
  for (const name of guestNames) {
    await kit.clock.advance(1000);
    guests.push(await service.join(host.session.id, { name }, '192.0.2.1'));
  }
  return { sessionId: host.session.id, host, guests };
}
