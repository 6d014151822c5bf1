import type { Media } from '@watch-party/contracts';

/** A media item as the API returns it; ready, with HLS, unless overridden. */
export function mediaItem(overrides: Partial<Media> = {}): Media {
  const id = overrides.id ?? 'MediaId_00000001';
  return {
    id,
    title: 'Holiday clip',
    status: 'ready',
    progress: 1,
    durationSec: 192,
    renditions: [{ height: 360, bandwidth: 800_000 }],
    fileUrl: `/api/media/${id}/file`,
    hlsUrl: `/api/media/${id}/hls/master.m3u8`,
    posterUrl: `/api/media/${id}/poster.jpg`,
    createdAt: '2026-11-21T10:00:00.000Z',
    sizeBytes: 25_690_000,
    subtitles: [],
    ...overrides,
  };
}
