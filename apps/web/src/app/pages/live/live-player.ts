import { InjectionToken, inject } from '@angular/core';
import type Hls from 'hls.js';
import type { ErrorData, HlsConfig } from 'hls.js';
import { DebugHandlesService } from '../../services/debug-handles.service';
import { LiveWsPlayer } from './live-ws-player';

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
  /** How the video arrives: fMP4 fragments over `/live-watch` (LiveWsPlayer), or HLS (LivePlayer). */
  readonly transport: 'ws' | 'hls';
  /** hls.js, null over WebSocket or with native HLS. */
  readonly hls: Hls | null;
  readonly video: HTMLVideoElement | null;
  /**
   * Glass-to-glass: now minus the capture time of the frame on screen (HLS: PROGRAM-DATE-TIME;
   * WebSocket: an approximation from the newest fragment's arrival time, see estimateLatencyMs).
   */
  latencyMs(): number | null;
  /** Seconds behind the live position (what the "Jump to live" button shows). */
  behindLiveS(): number | null;
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
  /** The video waits for data (buffering), or has it again. */
  waiting(waiting: boolean): void;
  /** The video was paused or plays again. */
  paused(paused: boolean): void;
  /** The stream ended: the playlist got `#EXT-X-ENDLIST` and the video played to its end. */
  ended(): void;
}

/** What the live page drives (the real LivePlayer, or a fake in tests). */
export interface LivePlayback {
  load(url: string): Promise<void>;
  /** Plays (again) from where the video is, with sound if allowed. */
  play(): Promise<void>;
  pause(): void;
  unmute(): void;
  /** Seeks to the live position and plays. */
  goLive(): void;
  /** Seconds behind the live position, null while unknown. */
  behindLiveS(): number | null;
  destroy(): void;
}

export type LivePlayerFactory = (video: HTMLVideoElement, events: LivePlayerEvents) => LivePlayback;

/** Makes the live page's player (tests provide a fake). */
export const LIVE_PLAYER_FACTORY = new InjectionToken<LivePlayerFactory>('LIVE_PLAYER_FACTORY', {
  providedIn: 'root',
  factory: () => {
    const debug = inject(DebugHandlesService);
    // `?transport=hls` on the page plays HLS only (a viewer behind a proxy that drops
    // WebSockets; the benchmark's HLS figure).
    const hlsOnly = typeof location !== 'undefined' && new URLSearchParams(location.search).get('transport') === 'hls';
    return (video, events) =>
      hlsOnly
        ? new LivePlayer(video, events, debug)
        : new LiveAutoPlayer(
            (fallback) => new LiveWsPlayer(video, events, debug, { fallback }),
            () => new LivePlayer(video, events, debug),
          );
  },
});

/**
 * Sub-second WebSocket playback first (LiveWsPlayer); HLS (LivePlayer, same video and events)
 * when that cannot work here: no MSE, codecs not supported, the socket refused or silent, a
 * SourceBuffer error.
 */
export class LiveAutoPlayer implements LivePlayback {
  private current: LivePlayback;
  private url: string | null = null;
  private usingHls = false;
  private destroyed = false;
  /** Why WebSocket playback was given up, if it was (for debugging). */
  fallbackReason: string | null = null;

  constructor(
    createWs: (fallback: (reason: string) => void) => LivePlayback,
    private readonly createHls: () => LivePlayback,
  ) {
    this.current = createWs((reason) => this.fallback(reason));
  }

  get transport(): 'ws' | 'hls' {
    return this.usingHls ? 'hls' : 'ws';
  }

  load(url: string): Promise<void> {
    this.url = url;
    return this.current.load(url);
  }

  play(): Promise<void> {
    return this.current.play();
  }

  pause(): void {
    this.current.pause();
  }

  unmute(): void {
    this.current.unmute();
  }

  goLive(): void {
    this.current.goLive();
  }

  behindLiveS(): number | null {
    return this.current.behindLiveS();
  }

  destroy(): void {
    this.destroyed = true;
    this.current.destroy();
  }

  private fallback(reason: string): void {
    if (this.usingHls || this.destroyed) return;
    this.fallbackReason = reason;
    this.usingHls = true;
    this.current.destroy();
    this.current = this.createHls();
    if (this.url !== null) void this.current.load(this.url);
  }
}

/**
 * What both live players (HLS and WebSocket) do on the page's <video>: play with sound if the
 * browser allows it (else muted, the page offers "Unmute"), unmute, pause, and turn the video's
 * events into LivePlayerEvents. `extra` handlers (a player's own) are attached along with them.
 */
export class LiveVideo {
  private readonly handlers: [string, () => void][];

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: LivePlayerEvents,
    extra: [string, () => void][] = [],
  ) {
    this.handlers = [
      [
        'playing',
        () => {
          events.waiting(false);
          events.paused(false);
          events.playing();
        },
      ],
      ['waiting', () => events.waiting(true)],
      ['pause', () => events.paused(true)],
      ['play', () => events.paused(false)],
      ['ended', () => events.ended()],
      ...extra,
    ];
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

  pause(): void {
    this.video.pause();
  }

  /** Attaches the handlers (once: attaching again does not double them). */
  listen(): void {
    this.unlisten();
    for (const [name, handler] of this.handlers) this.video.addEventListener(name, handler);
  }

  unlisten(): void {
    for (const [name, handler] of this.handlers) this.video.removeEventListener(name, handler);
  }
}

/** Native HLS (Safari) has no live sync position: stay this far behind the end of what is seekable. */
const NATIVE_LIVE_OFFSET_S = 3;

/** A low-latency HLS player for a live show's playlist, on a <video>. */
export class LivePlayer implements LivePlayback {
  private hls: Hls | null = null;
  private destroyed = false;
  private mediaRecoveries = 0;
  private readonly hideDebugHandle: () => void;
  private readonly liveVideo: LiveVideo;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: LivePlayerEvents,
    debug: DebugHandlesService,
  ) {
    this.liveVideo = new LiveVideo(video, events);
    this.hideDebugHandle = debug.expose('__wpLive', () => this.debugHandle());
  }

  latencyMs(): number | null {
    const date = this.hls?.playingDate;
    return date ? Date.now() - date.getTime() : null;
  }

  /** Where "live" is on the video's timeline: hls.js's live sync position, else near the seekable end. */
  livePosition(): number | null {
    if (this.hls) {
      const sync = this.hls.liveSyncPosition;
      return sync !== null && Number.isFinite(sync) ? sync : null;
    }
    const seekable = this.video.seekable;
    if (seekable.length === 0) return null;
    const end = seekable.end(seekable.length - 1);
    return Number.isFinite(end) ? Math.max(seekable.start(0), end - NATIVE_LIVE_OFFSET_S) : null;
  }

  behindLiveS(): number | null {
    const live = this.livePosition();
    return live === null ? null : Math.max(0, live - this.video.currentTime);
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
        this.liveVideo.listen();
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
    this.liveVideo.listen();
    hls.attachMedia(this.video);
    hls.loadSource(url);
  }

  play(): Promise<void> {
    return this.liveVideo.play();
  }

  unmute(): void {
    this.liveVideo.unmute();
  }

  pause(): void {
    this.liveVideo.pause();
  }

  /** Jump to the live edge (after a pause, a stall or a seek back). */
  goLive(): void {
    const live = this.livePosition();
    if (live !== null) this.video.currentTime = live;
    void this.play();
  }

  destroy(): void {
    this.destroyed = true;
    this.liveVideo.unlisten();
    this.hls?.destroy();
    this.hls = null;
    this.hideDebugHandle();
  }

  private debugHandle(): LiveDebugHandle {
    const player = (): { hls: Hls | null; video: HTMLVideoElement } => ({ hls: this.hls, video: this.video });
    return {
      transport: 'hls',
      get hls() {
        return player().hls;
      },
      get video() {
        return player().video;
      },
      latencyMs: () => this.latencyMs(),
      behindLiveS: () => this.behindLiveS(),
    };
  }
}
