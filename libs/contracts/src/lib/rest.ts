import * as z from 'zod';
import { SUBTITLE_LABEL_MAX, SUBTITLE_LANG_MAX, SUBTITLE_LANG_PATTERN } from './media';

/** Trimmed display name; the contract allows 1..32 characters. */
export const displayName = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(32, { error: 'must be at most 32 characters' });

const MEDIA_ID = /^[A-Za-z0-9_-]{11,64}$/;

/** Longest URL accepted as a source or subtitle track. */
export const MAX_URL_LENGTH = 2048;
/** Subtitle tracks one URL source may carry. */
export const URL_SUBTITLE_TRACKS_MAX = 8;

const isHttpUrl = (value: string) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

export const httpUrlSchema = z
  .string()
  .max(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` })
  .refine(isHttpUrl, { error: 'must be an http(s) URL' });

export const mediaSourceSchema = z.strictObject({
  kind: z.literal('media'),
  mediaId: z.string().regex(MEDIA_ID, { error: 'is not a media id' }),
});

export const subtitleRefSchema = z.strictObject({
  url: httpUrlSchema,
  label: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(SUBTITLE_LABEL_MAX, { error: `must be at most ${SUBTITLE_LABEL_MAX} characters` }),
  lang: z
    .string()
    .max(SUBTITLE_LANG_MAX, { error: `must be at most ${SUBTITLE_LANG_MAX} characters` })
    .regex(SUBTITLE_LANG_PATTERN, { error: 'must be a language tag such as en or pt-BR' })
    .optional(),
});
export type SubtitleRef = z.infer<typeof subtitleRefSchema>;

export const urlSourceSchema = z.strictObject({
  kind: z.literal('url'),
  url: httpUrlSchema,
  subtitles: z
    .array(subtitleRefSchema)
    .max(URL_SUBTITLE_TRACKS_MAX, { error: `must list at most ${URL_SUBTITLE_TRACKS_MAX} tracks` })
    .optional(),
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

/** Who may add to the queue: controllers only, or everyone (the default). */
export const queuePolicySchema = z.enum(['controllers', 'everyone']);
export type QueuePolicy = z.infer<typeof queuePolicySchema>;

/** What plays next; an item leaves the queue when it becomes the source. */
export const queueItemSchema = z.object({
  id: z.string(),
  source: sourceSchema,
  title: z.string(),
  /** participant id */
  addedBy: z.string(),
});
export type QueueItem = z.infer<typeof queueItemSchema>;

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

/** Longest device id a client may send when joining. */
export const DEVICE_ID_MAX = 64;

export const joinSessionBodySchema = z.strictObject({
  name: displayName,
  password: z.string().max(128, { error: 'must be at most 128 characters' }).optional(),
  /** a random id the client keeps: a ban by the host refuses later joins that send it */
  deviceId: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(DEVICE_ID_MAX, { error: `must be at most ${DEVICE_ID_MAX} characters` })
    .optional(),
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
  queue: z.array(queueItemSchema),
  queuePolicy: queuePolicySchema,
  /** a locked party refuses new joins; its participants stay */
  locked: z.boolean(),
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
