import type Hls from 'hls.js';
import type { ErrorData, HlsConfig } from 'hls.js';
import type { DebugHandlesService } from '../../services/debug-handles.service';

/** hls.js tuned for live: two 1 s segments behind the edge, catching up at up to 1.2×. */
export const LIVE_HLS_CONFIG: Partial<HlsConfig> = {
  // The page's CSP allows no blob: workers; transmuxing on the main thread is fine at this size.
  enableWorker: false,
  lowLatencyMode: true,
  liveSyncDurationCount: 2,
  maxLiveSyncPlaybackRate: 1.2,
  backBufferLength: 10,
};

/** Read-only view for browser tests and debugging: `window.__wpLive`, only with the debug flag (DebugHandlesService). */
export interface LiveDebugHandle {
  readonly hls: Hls | null;
  readonly video: HTMLVideoElement | null;
  /** Glass-to-glass: now minus the capture time of the frame on screen (PROGRAM-DATE-TIME). */
  latencyMs(): number | null;
}

declare global {
  interface Window {
    __wpLive?: LiveDebugHandle;
  }
}

export interface LivePlayerEvents {
  /** Playback needs a click (autoplay with sound refused) — we play muted meanwhile. */
  muted(muted: boolean): void;
  /** Something went wrong that a reload of the stream may fix (e.g. the show ended). */
  trouble(message: string): void;
  playing(): void;
}

/** A low-latency HLS player for a live show's playlist, on a <video>. */
export class LivePlayer {
  private hls: Hls | null = null;
  private destroyed = false;
  private mediaRecoveries = 0;
  private readonly hideDebugHandle: () => void;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: LivePlayerEvents,
    debug: DebugHandlesService,
  ) {
    this.hideDebugHandle = debug.expose('__wpLive', () => this.debugHandle());
  }

  latencyMs(): number | null {
    const date = this.hls?.playingDate;
    return date ? Date.now() - date.getTime() : null;
  }

  async load(url: string): Promise<void> {
    this.hls?.destroy();
    this.hls = null;
    let HlsClass: typeof Hls;
    try {
      HlsClass = (await import('hls.js')).default;
    } catch {
      this.events.trouble("Couldn't load the video player. Reload the page.");
      return;
    }
    if (this.destroyed) return;
    if (!HlsClass.isSupported()) {
      if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
        this.video.src = url;
        void this.play();
      } else {
        this.events.trouble("This browser can't play live streams.");
      }
      return;
    }
    const hls = new HlsClass(LIVE_HLS_CONFIG);
    this.hls = hls;
    hls.on(HlsClass.Events.MANIFEST_PARSED, () => void this.play());
    hls.on(HlsClass.Events.ERROR, (_e, data: ErrorData) => {
      if (!data.fatal || hls !== this.hls) return;
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries++ < 3) {
        hls.recoverMediaError();
      } else {
        this.events.trouble('The stream stopped.');
      }
    });
    this.video.addEventListener('playing', this.onPlaying);
    hls.attachMedia(this.video);
    hls.loadSource(url);
  }

  /** With sound if the browser allows it, else muted (the page offers "Unmute"). */
  async play(): Promise<void> {
    try {
      await this.video.play();
      this.events.muted(this.video.muted);
    } catch (error) {
      if ((error as { name?: string }).name !== 'NotAllowedError' || this.video.muted) return;
      this.video.muted = true;
      this.events.muted(true);
      await this.video.play().catch(() => undefined);
    }
  }

  unmute(): void {
    this.video.muted = false;
    this.events.muted(false);
    void this.video.play().catch(() => undefined);
  }

  /** Jump to the live edge (after a pause or a stall). */
  goLive(): void {
    const edge = this.hls?.liveSyncPosition;
    if (edge !== null && edge !== undefined && Number.isFinite(edge)) this.video.currentTime = edge;
    void this.play();
  }

  destroy(): void {
    this.destroyed = true;
    this.video.removeEventListener('playing', this.onPlaying);
    this.hls?.destroy();
    this.hls = null;
    this.hideDebugHandle();
  }

  private debugHandle(): LiveDebugHandle {
    const player = (): { hls: Hls | null; video: HTMLVideoElement } => ({ hls: this.hls, video: this.video });
    return {
      get hls() {
        return player().hls;
      },
      get video() {
        return player().video;
      },
      latencyMs: () => this.latencyMs(),
    };
  }

  private readonly onPlaying = () => this.events.playing();
}
