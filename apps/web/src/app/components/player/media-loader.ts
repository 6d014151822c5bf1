import type Hls from 'hls.js';
import type { ErrorData, LevelSwitchedData, ManifestParsedData } from 'hls.js';

export interface QualityLevel {
  index: number;
  height: number;
  bitrate: number;
}

export interface MediaLoaderEvents {
  /** HLS renditions (empty for a plain file). */
  levels(levels: QualityLevel[]): void;
  /** The rendition now playing. */
  levelSwitched(index: number): void;
  /** A fatal problem: the video cannot be played. */
  failed(message: string): void;
}

/** HTMLMediaElement's MEDIA_ERR_SRC_NOT_SUPPORTED: the element could not use what it loaded. */
const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;
export const NOT_PLAYABLE = "This video can't be played: the link is broken or the format isn't supported.";

export function isHlsUrl(url: string): boolean {
  try {
    return /\.m3u8$/i.test(new URL(url, 'http://localhost').pathname);
  } catch {
    return false;
  }
}

/**
 * Puts a source into a <video>: hls.js for HLS (loaded on demand, so the first page load
 * does not pay for it), the element itself for mp4/webm, native HLS where MSE is missing
 * (iOS Safari). Retries hls.js media errors twice before giving up. The one place that decides
 * a source failed (`failed`).
 */
export class MediaLoader {
  private hls: Hls | null = null;
  private generation = 0;
  private mediaRecoveries = 0;
  private stopListening: () => void = () => undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: MediaLoaderEvents,
  ) {}

  /** Plays `url` (a pasted link, or a library item's HLS or file URL); null unloads. */
  async load(url: string | null): Promise<void> {
    const generation = ++this.generation;
    this.unload();
    if (!url) return;
    if (isHlsUrl(url)) return this.loadHls(url, generation);
    this.video.src = url;
    // A link without `.m3u8` may still be HLS (the link check accepts it by its content type):
    // when the element cannot play what it got, hls.js gets one try before we give up.
    const onError = () => {
      this.video.removeEventListener('error', onError);
      if (generation !== this.generation) return;
      if (this.video.error?.code === MEDIA_ERR_SRC_NOT_SUPPORTED) {
        this.loadHls(url, generation, NOT_PLAYABLE).catch(() => this.events.failed(NOT_PLAYABLE));
      } else {
        this.events.failed(NOT_PLAYABLE);
      }
    };
    this.video.addEventListener('error', onError);
    this.stopListening = () => this.video.removeEventListener('error', onError);
  }

  /** `failure`: what to say when hls.js cannot play it either (instead of its own messages). */
  private async loadHls(url: string, generation: number, failure?: string): Promise<void> {
    if (failure !== undefined) this.unload();
    let HlsClass: typeof Hls;
    try {
      HlsClass = (await import('hls.js')).default;
    } catch {
      if (generation === this.generation) this.events.failed("Couldn't load the HLS player. Reload the page.");
      return;
    }
    if (generation !== this.generation) return;
    if (!HlsClass.isSupported()) {
      if (failure !== undefined) this.events.failed(failure);
      else if (this.video.canPlayType('application/vnd.apple.mpegurl')) this.video.src = url;
      else this.events.failed("This browser can't play HLS streams.");
      return;
    }
    // The page's CSP has no blob: workers; fMP4 needs no transmuxing anyway.
    const hls = new HlsClass({ enableWorker: false, capLevelToPlayerSize: true });
    this.hls = hls;
    this.mediaRecoveries = 0;
    hls.on(HlsClass.Events.MANIFEST_PARSED, (_e, data: ManifestParsedData) => {
      this.events.levels(
        data.levels.map((level, index) => ({ index, height: level.height, bitrate: level.bitrate })),
      );
    });
    hls.on(HlsClass.Events.LEVEL_SWITCHED, (_e, data: LevelSwitchedData) => this.events.levelSwitched(data.level));
    hls.on(HlsClass.Events.ERROR, (_e, data: ErrorData) => {
      if (!data.fatal || hls !== this.hls) return;
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries++ < 2) {
        hls.recoverMediaError();
      } else if (failure !== undefined) {
        this.events.failed(failure);
      } else if (data.type === HlsClass.ErrorTypes.NETWORK_ERROR) {
        this.events.failed("Couldn't load the video. Check the link, or that the server allows this site (CORS).");
      } else {
        this.events.failed("This video can't be played.");
      }
    });
    hls.attachMedia(this.video);
    hls.loadSource(url);
  }

  /** -1 lets hls.js pick (Auto); switches at the next segment, without a stall. */
  setLevel(index: number): void {
    if (this.hls) this.hls.nextLevel = index;
  }

  get autoLevel(): boolean {
    return this.hls?.autoLevelEnabled ?? true;
  }

  destroy(): void {
    this.generation++;
    this.unload();
  }

  private unload(): void {
    this.stopListening();
    this.stopListening = () => undefined;
    this.hls?.destroy();
    this.hls = null;
    if (this.video.hasAttribute('src')) {
      this.video.removeAttribute('src');
      this.video.load();
    }
    this.events.levels([]);
  }
}
