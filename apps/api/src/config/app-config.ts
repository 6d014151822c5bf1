import { randomBytes } from 'node:crypto';
import { envSchema } from './config.schema';

export class ConfigError extends Error {}

/** Typed, validated configuration; the only place that reads the environment. */
export interface AppConfig {
  port: number;
  host: string;
  redisUrl: string | null;
  mediaDir: string;
  /** Explicit secret; null means "generate" (per process, or once per cluster via Redis). */
  appSecret: string | null;
  maxUploadBytes: number;
  ffmpegPath: string;
  ffprobePath: string;
  corsOrigins: string[];
  rtmpPort: number;
  livePublisherGraceMs: number;
  sessionCreatePerMin: number;
  passwordFailuresPerMin: number;
  transcodeConcurrency: number;
  trustProxy: boolean;
  webDir: string | null;
  logLevel: string;
  /** Unique per process: tags this replica's presence entries in Redis. */
  replicaId: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL ?? null,
    mediaDir: e.MEDIA_DIR,
    appSecret: e.APP_SECRET ?? null,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    ffmpegPath: e.FFMPEG_PATH,
    ffprobePath: e.FFPROBE_PATH,
    corsOrigins: e.CORS_ORIGINS,
    rtmpPort: e.RTMP_PORT,
    livePublisherGraceMs: e.LIVE_PUBLISHER_GRACE_MS,
    sessionCreatePerMin: e.SESSION_CREATE_PER_MIN,
    passwordFailuresPerMin: e.PASSWORD_FAILURES_PER_MIN,
    transcodeConcurrency: e.TRANSCODE_CONCURRENCY,
    trustProxy: e.TRUST_PROXY,
    webDir: e.WEB_DIR ?? null,
    logLevel: e.LOG_LEVEL,
    replicaId: randomBytes(6).toString('base64url'),
  };
}
