import { z } from 'zod';

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every environment variable the API reads (CONTRACT section 1), validated once at start. */
export const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\//, { error: 'must start with redis:// or rediss://' })
    .optional(),
  MEDIA_DIR: z.string().trim().min(1).default('./data/media'),
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
  SESSION_CREATE_PER_MIN: int(1, 1_000_000).default(30),
  PASSWORD_FAILURES_PER_MIN: int(1, 1_000_000).default(5),
  TRANSCODE_CONCURRENCY: int(1, 64).default(1),
  /** Honour X-Forwarded-For from a load balancer (set in the docker images). */
  TRUST_PROXY: bool.default(false),
  /** Where the built Angular app lives; defaults to the dist folder next to the API build. */
  WEB_DIR: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;
