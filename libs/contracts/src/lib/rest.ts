import { z } from 'zod';

/** Trimmed display name; the contract allows 1..32 characters. */
export const displayName = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(32, { error: 'must be at most 32 characters' });

const MEDIA_ID = /^[A-Za-z0-9_-]{11,64}$/;
const PLAYABLE_URL_PATH = /\.(mp4|webm|m3u8)$/i;

export const mediaSourceSchema = z.strictObject({
  kind: z.literal('media'),
  mediaId: z.string().regex(MEDIA_ID, { error: 'is not a media id' }),
});

export const urlSourceSchema = z.strictObject({
  kind: z.literal('url'),
  url: z
    .string()
    .max(2048)
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return (
            (url.protocol === 'http:' || url.protocol === 'https:') &&
            PLAYABLE_URL_PATH.test(url.pathname)
          );
        } catch {
          return false;
        }
      },
      { error: 'must be an http(s) URL of an .mp4, .webm or .m3u8 file' },
    ),
});

/** added to the contract: a live show's HLS (`/api/live/:showId/hls/index.m3u8`), relative to the server */
export const liveSourceSchema = z.strictObject({
  kind: z.literal('live'),
  showId: z.string().regex(MEDIA_ID, { error: 'is not a live show id' }),
});

export const sourceSchema = z.discriminatedUnion('kind', [mediaSourceSchema, urlSourceSchema, liveSourceSchema]);
export type Source = z.infer<typeof sourceSchema>;

export const controlPolicySchema = z.enum(['host', 'everyone']);
export type ControlPolicy = z.infer<typeof controlPolicySchema>;

export const createSessionBodySchema = z.strictObject({
  hostName: displayName,
  name: z.string().trim().max(80, { error: 'must be at most 80 characters' }).optional(),
  password: z
    .string()
    .min(4, { error: 'must be at least 4 characters' })
    .max(128, { error: 'must be at most 128 characters' })
    .optional(),
  controlPolicy: controlPolicySchema.optional(),
  source: sourceSchema.optional(),
});
export type CreateSessionBody = z.infer<typeof createSessionBodySchema>;

export const joinSessionBodySchema = z.strictObject({
  name: displayName,
  password: z.string().max(128, { error: 'must be at most 128 characters' }).optional(),
});
export type JoinSessionBody = z.infer<typeof joinSessionBodySchema>;

export const sessionInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
  controlPolicy: controlPolicySchema,
  participantCount: z.number().int(),
  source: sourceSchema.nullable(),
  /** added to the contract: whether buffering participants pause the group */
  waitForBuffering: z.boolean(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const joinedSessionSchema = z.object({
  session: sessionInfoSchema,
  participantId: z.string(),
  token: z.string(),
});
export type JoinedSession = z.infer<typeof joinedSessionSchema>;

export const apiErrorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export const healthSchema = z.object({
  status: z.literal('ok'),
  transcoding: z.enum(['available', 'unavailable']).optional(),
  redis: z.enum(['ok', 'down', 'none']).optional(),
});
export type Health = z.infer<typeof healthSchema>;

/** Session, participant, chat ids: URL-safe base64 of >= 64 random bits. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{11,64}$/;
export const idSchema = z.string().regex(ID_PATTERN, { error: 'is not a valid id' });

/** Turns a zod error into one readable line naming the offending fields. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path ? `${path} ${issue.message}` : issue.message;
    })
    .join('; ');
}
