import * as z from 'zod';

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Every environment variable the API reads (docs/configuration.md), validated once at start. */
export const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\//, { error: 'must start with redis:// or rediss://' })
    .optional(),
  /**
   * Without REDIS_URL: `sqlite` keeps the library, shows and parties in DATA_DIR/watch-party.db;
   * `memory` keeps them in this process only (forgotten at exit: demos, tests, benchmarks).
   */
  STORE: z.enum(['sqlite', 'memory'], { error: 'must be sqlite or memory' }).default('sqlite'),
  /** Durable data (the embedded store); MEDIA_DIR defaults to DATA_DIR/media. */
  DATA_DIR: z.string().trim().min(1).default('./data'),
  MEDIA_DIR: z.string().trim().min(1).optional(),
  /**
   * Behind nginx sharing MEDIA_DIR (docker/): the internal location (URI prefix) that aliases
   * MEDIA_DIR. Media file routes then answer, after their checks, with `X-Accel-Redirect:
   * <prefix><path under MEDIA_DIR>` and nginx sends the bytes. Unset: the API sends them.
   */
  MEDIA_ACCEL_REDIRECT: z
    .string()
    .trim()
    .regex(/^\/([A-Za-z0-9._~-]+\/)+$/, { error: 'must be a URI prefix such as /_media/ (starting and ending with /)' })
    .refine((v) => !v.split('/').some((s) => s === '.' || s === '..'), { error: 'must not contain . or .. segments' })
    .optional(),
  /**
   * With MEDIA_ACCEL_REDIRECT: how long nginx may keep the API's decision on a media file request
   * (`X-Accel-Expires`) and send the same URI again without asking a replica. 0: never kept.
   */
  MEDIA_ACCEL_DECISION_SEC: int(0, 60).default(3),
  /**
   * Media files the API sends itself: bytes read (and held per download) at once. Larger: less
   * CPU per byte; smaller: less memory per concurrent download.
   */
  FILE_READ_CHUNK_BYTES: int(4096, 64 * 1024 * 1024).default(1024 * 1024),
  APP_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  MAX_UPLOAD_BYTES: int(1, Number.MAX_SAFE_INTEGER).default(4294967296),
  FFMPEG_PATH: z.string().trim().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().trim().min(1).default('ffprobe'),
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ error: 'must be a comma-separated list of origins' })))
    .default([]),
  RTMP_PORT: int(0, 65535).default(1935),
  /** A live show ends when its publisher has been gone this long. */
  LIVE_PUBLISHER_GRACE_MS: int(0, 3_600_000).default(15_000),
  LIVE_ENDED_LINGER_MS: int(0, 3_600_000).default(60_000),
  SESSION_CREATE_PER_MIN: int(1, 1_000_000).default(30),
  PASSWORD_FAILURES_PER_MIN: int(1, 1_000_000).default(5),
  /** Password hashes (scrypt, ~32 MiB and one thread each) computed at once; the rest queue. */
  SCRYPT_CONCURRENCY: int(1, 64).default(1),
  TRANSCODE_CONCURRENCY: int(1, 64).default(1),

  // ---- Abuse limits (every one named, configurable, logged once per offender, counted) ----
  /** RTMP connections open at once on this replica (publishing or not). */
  RTMP_MAX_CONNECTIONS: int(1, 100_000).default(64),
  /** RTMP connections per client address that have not published yet. */
  RTMP_MAX_CONNECTIONS_PER_ADDRESS: int(1, 100_000).default(8),
  /** Handshake + connect + publish must complete this soon after the TCP connection opens. */
  RTMP_PUBLISH_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /** One RTMP message (a video frame) at most this large, assembled. */
  RTMP_MAX_MESSAGE_BYTES: int(1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Unfinished message data one RTMP connection may hold across all its chunk streams. */
  RTMP_MAX_UNFINISHED_BYTES: int(1024, 256 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Unfinished message data of all RTMP connections of this replica together. */
  RTMP_MAX_UNFINISHED_BYTES_TOTAL: int(1024, 16 * 1024 * 1024 * 1024).default(128 * 1024 * 1024),
  /** Chunk streams one RTMP connection may use. */
  RTMP_MAX_CHUNK_STREAMS: int(2, 65_599).default(32),
  /** Ingest bitrate cap, averaged over 5 s (RTMP and browser publishers). */
  LIVE_MAX_KBPS: int(100, 1_000_000).default(12_000),
  /** Uploads accepted per client address per hour (429 beyond). */
  UPLOADS_PER_HOUR: int(1, 1_000_000).default(20),
  /** An upload whose client sends nothing for this long is dropped (its partial file removed). */
  UPLOAD_IDLE_TIMEOUT_MS: int(100, 600_000).default(30_000),
  /** A subtitle file (.srt or .vtt) may be this long (413 beyond). */
  SUBTITLE_MAX_BYTES: int(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
  /** Longest source accepted, in seconds (415 beyond). */
  MAX_MEDIA_SECONDS: int(1, 10_000_000).default(21_600),
  /** Largest source width or height accepted, in pixels (415 beyond). */
  MAX_VIDEO_SIDE_PX: int(16, 65_536).default(4096),
  /** Highest source frame rate accepted (415 beyond). */
  MAX_VIDEO_FPS: int(1, 10_000).default(120),
  /** A transcode job is stopped after max(this, TRANSCODE_TIMEOUT_FACTOR x duration) seconds. */
  TRANSCODE_TIMEOUT_MIN_SEC: int(1, 10_000_000).default(600),
  TRANSCODE_TIMEOUT_FACTOR: int(1, 1000).default(3),
  /** Socket.IO connections per client address per replica ("too many connections" beyond). */
  MAX_SOCKETS_PER_ADDRESS: int(1, 1_000_000).default(50),
  /**
   * Socket.IO heartbeat: a ping every SOCKET_PING_INTERVAL_MS, and a side that hears nothing for
   * interval + SOCKET_PING_TIMEOUT_MS drops the connection. The defaults let a browser notice a
   * frozen server (or a dead network path) within 8 s and show "Reconnecting".
   */
  SOCKET_PING_INTERVAL_MS: int(1000, 600_000).default(4000),
  SOCKET_PING_TIMEOUT_MS: int(1000, 600_000).default(4000),
  // ---- Ownership and admin ----
  /** The admin credential; unset: one is generated at first start, stored, and logged once. */
  ADMIN_TOKEN: z.string().trim().min(32, { error: 'must be at least 32 characters' }).optional(),
  /** open: anyone may upload and create live shows (rate-limited); admin: only with the admin token. */
  PUBLISH_POLICY: z.enum(['open', 'admin'], { error: 'must be open or admin' }).default('open'),
  /** Bytes the media library may hold in total (originals + renditions); unset: no quota. */
  MEDIA_QUOTA_BYTES: int(1, Number.MAX_SAFE_INTEGER).optional(),
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().trim().min(16, { error: 'must be at least 16 characters' }).optional(),
  /**
   * Client addresses from X-Forwarded-For, trusting this many proxy hops in front of us
   * (`true` = 1: one load balancer, as in the docker setup). Only the hops we trust can name
   * the client, so a client cannot pick its own address by sending the header itself.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .regex(/^(true|false|yes|no|\d{1,2})$/, { error: 'must be true, false or a number of proxy hops' })
    .transform((v) => (v === 'true' || v === 'yes' ? 1 : v === 'false' || v === 'no' ? 0 : Number(v)))
    .default(0),
  /** Where the built Angular app lives; defaults to the dist folder next to the API build. */
  WEB_DIR: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;
