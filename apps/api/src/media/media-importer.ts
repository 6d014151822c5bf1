import type { Media } from '@watch-party/contracts';

/**
 * What the live feature needs from the library: is there an encoder, and turn a finished
 * recording into an item. A narrow port rather than MediaService, so live rules are
 * unit-tested with a fake (MediaService is the one provided at runtime).
 */
export abstract class MediaImporter {
  /** ffmpeg and ffprobe answered at start: videos are transcoded, live shows can be packaged. */
  abstract readonly transcodingAvailable: boolean;
  /** A video file already under MEDIA_DIR becomes a library item (415 when it is not a video). */
  abstract importFile(path: string, title: string): Promise<Media>;
}
