import { z } from 'zod';

export const mediaStatusSchema = z.enum(['processing', 'ready', 'failed']);
export type MediaStatus = z.infer<typeof mediaStatusSchema>;

export const renditionSchema = z.object({ height: z.number().int(), bandwidth: z.number().int() });
export type Rendition = z.infer<typeof renditionSchema>;

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
