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

/** Socket.IO `media:progress`, pushed to every connected client while a media item changes. */
export interface MediaProgress {
  id: string;
  progress: number;
  status: MediaStatus;
}
