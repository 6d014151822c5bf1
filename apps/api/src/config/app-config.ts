import { randomBytes } from 'node:crypto';
import { envSchema } from './config.schema';

export class ConfigError extends Error {}

/** Typed, validated configuration; the only place that reads the environment. */
export interface AppConfig {
  port: number;
  host: string;
  redisUrl: string | null;
  /** Where records live without Redis (ignored with REDIS_URL). */
  store: 'sqlite' | 'memory';
  dataDir: string;
  mediaDir: string;
  /** nginx's internal location aliasing MEDIA_DIR (e.g. `/_media/`); null: the API sends media files itself. */
  mediaAccelRedirect: string | null;
  /** With mediaAccelRedirect: seconds nginx may keep the API's decision on a media file request (X-Accel-Expires). */
  mediaAccelDecisionSec: number;
  /** Media files the API sends itself: bytes read, and held per download, at once. */
  fileReadChunkBytes: number;
  /** Explicit secret; null means "generate once": kept in the embedded store, or shared through Redis. */
  appSecret: string | null;
  maxUploadBytes: number;
  ffmpegPath: string;
  ffprobePath: string;
  corsOrigins: string[];
  rtmpPort: number;
  livePublisherGraceMs: number;
  /** How long an ended show's playlist (with EXT-X-ENDLIST) stays served before its live files go. */
  liveEndedLingerMs: number;
  sessionCreatePerMin: number;
  passwordFailuresPerMin: number;
  transcodeConcurrency: number;
  limits: AbuseLimits;
  /** Explicit admin token; null: generated once and kept in the data store. */
  adminToken: string | null;
  publishPolicy: 'open' | 'admin';
  mediaQuotaBytes: number | null;
  metricsToken: string | null;
  /** Proxy hops trusted to name the client in X-Forwarded-For (0: none). */
  trustProxy: number;
  webDir: string | null;
  logLevel: string;
  /** Unique per process: tags this replica's presence entries in Redis. */
  replicaId: string;
}

/** What one anonymous client may use; each refusal is logged once and counted in /metrics. */
export interface AbuseLimits {
  rtmpMaxConnections: number;
  rtmpMaxConnectionsPerAddress: number;
  rtmpPublishTimeoutMs: number;
  rtmpMaxMessageBytes: number;
  rtmpMaxUnfinishedBytes: number;
  rtmpMaxUnfinishedBytesTotal: number;
  rtmpMaxChunkStreams: number;
  liveMaxKbps: number;
  uploadsPerHour: number;
  uploadIdleTimeoutMs: number;
  subtitleMaxBytes: number;
  maxMediaSeconds: number;
  maxVideoSidePx: number;
  maxVideoFps: number;
  transcodeTimeoutMinSec: number;
  transcodeTimeoutFactor: number;
  maxSocketsPerAddress: number;
  socketPingIntervalMs: number;
  socketPingTimeoutMs: number;
  scryptConcurrency: number;
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
    store: e.STORE,
    dataDir: e.DATA_DIR,
    mediaDir: e.MEDIA_DIR ?? `${e.DATA_DIR.replace(/\/+$/, '')}/media`,
    mediaAccelRedirect: e.MEDIA_ACCEL_REDIRECT ?? null,
    mediaAccelDecisionSec: e.MEDIA_ACCEL_DECISION_SEC,
    fileReadChunkBytes: e.FILE_READ_CHUNK_BYTES,
    appSecret: e.APP_SECRET ?? null,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    ffmpegPath: e.FFMPEG_PATH,
    ffprobePath: e.FFPROBE_PATH,
    corsOrigins: e.CORS_ORIGINS,
    rtmpPort: e.RTMP_PORT,
    livePublisherGraceMs: e.LIVE_PUBLISHER_GRACE_MS,
    liveEndedLingerMs: e.LIVE_ENDED_LINGER_MS,
    sessionCreatePerMin: e.SESSION_CREATE_PER_MIN,
    passwordFailuresPerMin: e.PASSWORD_FAILURES_PER_MIN,
    transcodeConcurrency: e.TRANSCODE_CONCURRENCY,
    limits: {
      rtmpMaxConnections: e.RTMP_MAX_CONNECTIONS,
      rtmpMaxConnectionsPerAddress: e.RTMP_MAX_CONNECTIONS_PER_ADDRESS,
      rtmpPublishTimeoutMs: e.RTMP_PUBLISH_TIMEOUT_MS,
      rtmpMaxMessageBytes: e.RTMP_MAX_MESSAGE_BYTES,
      rtmpMaxUnfinishedBytes: e.RTMP_MAX_UNFINISHED_BYTES,
      rtmpMaxUnfinishedBytesTotal: e.RTMP_MAX_UNFINISHED_BYTES_TOTAL,
      rtmpMaxChunkStreams: e.RTMP_MAX_CHUNK_STREAMS,
      liveMaxKbps: e.LIVE_MAX_KBPS,
      uploadsPerHour: e.UPLOADS_PER_HOUR,
      uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
      subtitleMaxBytes: e.SUBTITLE_MAX_BYTES,
      maxMediaSeconds: e.MAX_MEDIA_SECONDS,
      maxVideoSidePx: e.MAX_VIDEO_SIDE_PX,
      maxVideoFps: e.MAX_VIDEO_FPS,
      transcodeTimeoutMinSec: e.TRANSCODE_TIMEOUT_MIN_SEC,
      transcodeTimeoutFactor: e.TRANSCODE_TIMEOUT_FACTOR,
      maxSocketsPerAddress: e.MAX_SOCKETS_PER_ADDRESS,
      socketPingIntervalMs: e.SOCKET_PING_INTERVAL_MS,
      socketPingTimeoutMs: e.SOCKET_PING_TIMEOUT_MS,
      scryptConcurrency: e.SCRYPT_CONCURRENCY,
    },
    adminToken: e.ADMIN_TOKEN ?? null,
    publishPolicy: e.PUBLISH_POLICY,
    mediaQuotaBytes: e.MEDIA_QUOTA_BYTES ?? null,
    metricsToken: e.METRICS_TOKEN ?? null,
    trustProxy: e.TRUST_PROXY,
    webDir: e.WEB_DIR ?? null,
    logLevel: e.LOG_LEVEL,
    replicaId: randomBytes(6).toString('base64url'),
  };
}
