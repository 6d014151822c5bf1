import * as z from 'zod';

export const mediaStatusSchema = z.enum(['processing', 'ready', 'failed']);
export type MediaStatus = z.infer<typeof mediaStatusSchema>;

export const renditionSchema = z.object({ height: z.number().int(), bandwidth: z.number().int() });
export type Rendition = z.infer<typeof renditionSchema>;

/** A WebVTT track of a media item: uploaded (.srt or .vtt) or extracted from the video file. */
export const subtitleTrackSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** BCP 47 language tag, when known */
  lang: z.string().nullable(),
  /** `text/vtt`, first line `WEBVTT` */
  url: z.string(),
});
export type SubtitleTrack = z.infer<typeof subtitleTrackSchema>;

/** A track label is at most this long (characters). */
export const SUBTITLE_LABEL_MAX = 40;
/** A language tag is at most this long (BCP 47's practical limit). */
export const SUBTITLE_LANG_MAX = 35;
/** A media item holds at most this many subtitle tracks (uploaded and extracted together). */
export const MAX_SUBTITLE_TRACKS = 16;
/** BCP 47-ish: a 2..8 letter primary subtag, then subtags of 1..8 letters or digits. */
export const SUBTITLE_LANG_PATTERN = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/** The text fields sent beside `file` to `POST /api/media/:id/subtitles`. */
export const subtitleFieldsSchema = z.strictObject({
  label: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(SUBTITLE_LABEL_MAX, { error: `at most ${SUBTITLE_LABEL_MAX} characters` }),
  lang: z
    .string({ error: 'must be a string' })
    .trim()
    .max(SUBTITLE_LANG_MAX, { error: `at most ${SUBTITLE_LANG_MAX} characters` })
    .regex(SUBTITLE_LANG_PATTERN, { error: 'must be a language tag such as en or pt-BR' })
    .optional(),
});
export type SubtitleFields = z.infer<typeof subtitleFieldsSchema>;

export const mediaSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: mediaStatusSchema,
  /** 0..1 */
  progress: z.number(),
  durationSec: z.number().nullable(),
  error: z.string().optional(),
  renditions: z.array(renditionSchema),
  fileUrl: z.string(),
  hlsUrl: z.string().nullable(),
  posterUrl: z.string().nullable(),
  createdAt: z.string(),
  /** added to the contract: size of the original upload */
  sizeBytes: z.number().int(),
  /** uploaded tracks and those extracted from the file, oldest first */
  subtitles: z.array(subtitleTrackSchema),
});
export type Media = z.infer<typeof mediaSchema>;

/**
 * `POST /api/media` answers the new item with its owner key: shown once (only its hash is
 * stored), it lets whoever holds it rename and delete the item (`Authorization: Bearer <key>`).
 */
export const uploadedMediaSchema = mediaSchema.extend({ ownerKey: z.string() });
export type UploadedMedia = z.infer<typeof uploadedMediaSchema>;

/** `PATCH /api/media/:id` (owner key or admin token). */
export const renameMediaBodySchema = z.strictObject({
  title: z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }).max(120, { error: 'at most 120 characters' }),
});
export type RenameMediaBody = z.infer<typeof renameMediaBodySchema>;

/** `GET /api/admin/me` with the admin token. */
export const adminMeSchema = z.object({ admin: z.literal(true) });
export type AdminMe = z.infer<typeof adminMeSchema>;

/** Socket.IO `media:progress`, pushed to every connected client while a media item changes. */
export interface MediaProgress {
  id: string;
  progress: number;
  status: MediaStatus;
}
