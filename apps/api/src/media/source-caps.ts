import type { AbuseLimits } from '../config/app-config';
import type { RefusalReason } from '../ops/refusals';
import type { ProbeResult } from './transcoder';

/** Fewer decodable frames than this is a still picture, not a video. */
export const MIN_VIDEO_FRAMES = 2;

/**
 * Still-image codecs (ffprobe names): a file whose picture stream is one of these is a picture
 * or an animation, never a video we play, however many frames it claims.
 */
export const IMAGE_CODECS: ReadonlySet<string> = new Set([
  'png', 'apng', 'mjpeg', 'jpegls', 'ljpeg', 'gif', 'bmp', 'tiff', 'webp', 'jpeg2000', 'jpegxl',
  'pam', 'pbm', 'pgm', 'pgmyuv', 'ppm', 'pcx', 'pictor', 'psd', 'qoi', 'sgi', 'sunrast', 'targa',
  'xbm', 'xpm', 'xwd', 'dds', 'exr', 'hdr', 'photocd', 'alias_pix', 'brender_pix', 'fits', 'vbn',
  'dpx', 'cri', 'gem', 'txd', 'ylc',
]);

export interface SourceRefusal {
  reason: RefusalReason;
  /** for the client: which cap, the file's value and the limit */
  message: string;
}

const notVideo = (why: string): SourceRefusal => ({ reason: 'media_not_video', message: `this file is not a video: ${why}` });

/** The caps a source must pass before any frame is decoded (headers only: cheap). */
export function checkSource(p: ProbeResult, limits: AbuseLimits): SourceRefusal | null {
  if (p.codec && IMAGE_CODECS.has(p.codec)) return notVideo(`its picture is ${p.codec}, an image format`);
  if (p.frames != null && p.frames < MIN_VIDEO_FRAMES) return fewFrames(p.frames);
  if (p.width > limits.maxVideoSidePx || p.height > limits.maxVideoSidePx) {
    return {
      reason: 'media_too_large_frame',
      message: `video is ${p.width}x${p.height}; the limit is ${limits.maxVideoSidePx} px on a side (MAX_VIDEO_SIDE_PX)`,
    };
  }
  if (p.durationSec !== null && p.durationSec > limits.maxMediaSeconds) {
    return {
      reason: 'media_too_long',
      message: `video is ${round(p.durationSec)} s long; the limit is ${limits.maxMediaSeconds} s (MAX_MEDIA_SECONDS)`,
    };
  }
  if (round(p.fps) > limits.maxVideoFps) {
    return { reason: 'media_fps', message: `video is ${round(p.fps)} fps; the limit is ${limits.maxVideoFps} fps (MAX_VIDEO_FPS)` };
  }
  return null;
}

export function fewFrames(frames: number): SourceRefusal {
  if (frames === 0) return notVideo('no frame of it decodes');
  return notVideo(`it has ${frames} video frame${frames === 1 ? '' : 's'}; a video has at least ${MIN_VIDEO_FRAMES}`);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
