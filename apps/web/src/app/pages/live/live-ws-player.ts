import { LIVE_WATCH_NAMESPACE, handshakeErrorCode, type LiveWatchServerEvents } from '@watch-party/contracts';
import { io, type Socket } from 'socket.io-client';
import type { DebugHandlesService } from '../../services/debug-handles.service';
import { LiveVideo, type LiveDebugHandle, type LivePlayback, type LivePlayerEvents } from './live-player';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type LiveWatchSocket = Socket<LiveWatchServerEvents, {}>;

/** Opens the (not yet connected) `/live-watch` socket for a show. */
export type LiveWatchSocketFactory = (showId: string, preview?: boolean) => LiveWatchSocket;

export const openLiveWatchSocket: LiveWatchSocketFactory = (showId, preview = false) =>
  io(`${location.origin}${LIVE_WATCH_NAMESPACE}`, {
    path: '/socket.io',
    transports: ['websocket'],
    // Its own connection: video bytes must not queue ahead of the chat's events (nor share its fate).
    forceNew: true,
    // The creator's own preview (`?preview=1` on the playlist URL) is not counted as a viewer.
    auth: preview ? { showId, preview: true } : { showId },
    autoConnect: false,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
  });

/** Where we want to be: this far behind the end of what is buffered (a fragment is 0.5 s, so the playhead sits 0.35-0.85 s behind). */
export const LIVE_TARGET_BEHIND_S = 0.35;
/** Further behind than this: play a little faster until back at the target. */
export const CATCH_UP_ABOVE_S = 0.95;
/** Further behind than this: jump to the target at once. */
export const JUMP_ABOVE_S = 3;
export const CATCH_UP_RATE = 1.08;
/** Back buffer kept behind the playhead (older media is removed). */
export const BACK_BUFFER_S = 10;
/** No `live:init` this long after load(): give up on WebSocket (HLS takes over). */
export const INIT_TIMEOUT_MS = 4000;
/** Fragment length assumed for the latency estimate until one was measured. */
const DEFAULT_FRAGMENT_S = 0.5;
const TICK_MS = 250;
/** The back buffer is trimmed once it is this much longer than BACK_BUFFER_S (not on every tick). */
const TRIM_SLACK_S = 2;

/** `/api/live/<id>/hls/index.m3u8` (absolute or not) -> `<id>`; null when it is not such a URL. */
export function showIdFromHlsUrl(url: string): string | null {
  let path: string;
  try {
    path = new URL(url, 'http://x.invalid').pathname;
  } catch {
    return null;
  }
  const match = /\/api\/live\/([^/]+)\/hls\//.exec(path);
  if (!match) return null;
  try {
    const id = decodeURIComponent(match[1]);
    return id.length > 0 ? id : null;
  } catch {
    return null;
  }
}

/** The creator's preview asks with `?preview=1` (not an audience member). */
export function isPreviewUrl(url: string): boolean {
  try {
    return new URL(url, 'http://x.invalid').searchParams.get('preview') === '1';
  } catch {
    return false;
  }
}

export type LiveEdgeAction = { kind: 'jump'; to: number } | { kind: 'rate'; rate: number };

/**
 * Staying near the live edge, given how far behind the end of the buffer the playhead is and
 * the current playback rate: more than JUMP_ABOVE_S behind jumps to the target; more than
 * CATCH_UP_ABOVE_S plays at CATCH_UP_RATE until back at the target (hysteresis: a catch-up
 * under way goes on down to the target); otherwise normal speed.
 */
export function liveEdgeAction(behindS: number, bufferedEnd: number, currentRate: number): LiveEdgeAction {
  if (behindS > JUMP_ABOVE_S) return { kind: 'jump', to: Math.max(0, bufferedEnd - LIVE_TARGET_BEHIND_S) };
  const catchingUp = currentRate > 1;
  if (behindS > CATCH_UP_ABOVE_S || (catchingUp && behindS > LIVE_TARGET_BEHIND_S)) return { kind: 'rate', rate: CATCH_UP_RATE };
  return { kind: 'rate', rate: 1 };
}

/**
 * Glass-to-glass estimate (approximate): the newest fragment's first byte reached the server at
 * `wallclock`, the end of the buffer is about one fragment later than that, and the playhead is
 * `behindS` before the end. Ignores the publisher's encoding and upload delay.
 */
export function estimateLatencyMs(nowMs: number, wallclock: number, behindS: number, fragmentS: number): number {
  return nowMs - wallclock + behindS * 1000 - fragmentS * 1000;
}

/** The media source class this browser has: MediaSource, or ManagedMediaSource (Safari) alone; null without MSE. */
export function mediaSourceClass(scope: object = globalThis): typeof MediaSource | null {
  const g = scope as { MediaSource?: typeof MediaSource; ManagedMediaSource?: typeof MediaSource };
  return g.MediaSource ?? g.ManagedMediaSource ?? null;
}

export const mimeOf = (codecs: string): string => `video/mp4; codecs="${codecs}"`;

type Op = { kind: 'append'; data: ArrayBuffer; wallclock?: number } | { kind: 'remove'; start: number; end: number } | { kind: 'end' };

export interface LiveWsPlayerOptions {
  /** Called once when WebSocket playback cannot go on: the caller switches to HLS. */
  fallback(reason: string): void;
  openSocket?: LiveWatchSocketFactory;
  initTimeoutMs?: number;
}

/**
 * Sub-second live playback: the fMP4 fragments pushed on `/live-watch`, appended to a
 * MediaSource on the page's <video>, kept near the live edge.
 */
export class LiveWsPlayer implements LivePlayback {
  private socket: LiveWatchSocket | null = null;
  private mediaSource: MediaSource | null = null;
  private objectUrl: string | null = null;
  private sourceBuffer: SourceBuffer | null = null;
  private codecs = '';
  private queue: Op[] = [];
  /** The next appended fragment starts a run: seek to the live edge after it. */
  private seekAfterAppend = false;
  private started = false;
  private gotInit = false;
  private failed = false;
  private destroyed = false;
  private streamEnded = false;
  /** False once the viewer paused or seeked back: no automatic catch-up until goLive(). */
  private following = true;
  private selfSeek = false;
  private newestWallclock: number | null = null;
  private fragmentS = DEFAULT_FRAGMENT_S;
  private initTimer: ReturnType<typeof setTimeout> | undefined;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private readonly hideDebugHandle: () => void;
  private readonly openSocket: LiveWatchSocketFactory;
  /** play/unmute/pause and the video events, shared with the HLS player. */
  private readonly liveVideo: LiveVideo;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: LivePlayerEvents,
    debug: DebugHandlesService,
    private readonly options: LiveWsPlayerOptions,
  ) {
    this.openSocket = options.openSocket ?? openLiveWatchSocket;
    this.liveVideo = new LiveVideo(video, events, [
      [
        'seeking',
        () => {
          if (this.selfSeek) {
            this.selfSeek = false;
            return;
          }
          // The viewer seeked: follow the live edge again only if they went (near) there.
          const end = this.bufferedEnd();
          this.following = end !== null && end - this.video.currentTime <= CATCH_UP_ABOVE_S;
        },
      ],
      [
        'error',
        () => {
          if (this.objectUrl) this.fail(`media error ${this.video.error?.code ?? '?'}: ${this.video.error?.message ?? ''}`);
        },
      ],
    ]);
    this.hideDebugHandle = debug.expose('__wpLive', () => this.debugHandle());
  }

  async load(url: string): Promise<void> {
    const showId = showIdFromHlsUrl(url);
    if (!showId) return this.fail(`not a live show URL: ${url}`);
    if (!mediaSourceClass()) return this.fail('no Media Source Extensions');
    const socket = this.openSocket(showId, isPreviewUrl(url));
    this.socket = socket;
    socket.on('live:init', ({ codecs, data }) => this.onInit(codecs, data));
    socket.on('live:fragment', ({ data, wallclock }) => this.onFragment(data, wallclock));
    socket.on('live:end', () => this.onEnd());
    socket.on('connect_error', (err) => {
      if (this.failed || this.destroyed) return;
      const code = handshakeErrorCode(err);
      if (!this.gotInit) return this.fail(`connect_error ${code ?? err.message}`);
      // Mid-show: the show is over (the page polls and shows it), else socket.io retries.
      if (code === 'SHOW_NOT_LIVE' || code === 'SHOW_NOT_FOUND') {
        socket.disconnect();
        this.onEnd();
      }
    });
    this.initTimer = setTimeout(() => {
      if (!this.gotInit) this.fail('no live:init in time');
    }, this.options.initTimeoutMs ?? INIT_TIMEOUT_MS);
    socket.connect();
    await Promise.resolve();
  }

  play(): Promise<void> {
    return this.liveVideo.play();
  }

  unmute(): void {
    this.liveVideo.unmute();
  }

  pause(): void {
    this.following = false;
    this.liveVideo.pause();
  }

  goLive(): void {
    this.following = true;
    const end = this.bufferedEnd();
    if (end !== null) this.seek(Math.max(this.bufferedStart() ?? 0, end - LIVE_TARGET_BEHIND_S));
    void this.play();
  }

  behindLiveS(): number | null {
    const end = this.bufferedEnd();
    return end === null ? null : Math.max(0, end - this.video.currentTime);
  }

  /** Approximate glass-to-glass latency, see estimateLatencyMs. */
  latencyMs(): number | null {
    const behind = this.behindLiveS();
    if (this.newestWallclock === null || behind === null) return null;
    return estimateLatencyMs(Date.now(), this.newestWallclock, behind, this.fragmentS);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.teardown();
    this.hideDebugHandle();
  }

  private teardown(): void {
    clearTimeout(this.initTimer);
    clearInterval(this.tickTimer);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.liveVideo.unlisten();
    this.queue = [];
    this.dropSource();
    if (this.objectUrl) {
      this.video.pause();
      this.video.removeAttribute('src');
      this.video.load();
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = null;
    }
    this.video.playbackRate = 1;
  }

  private fail(reason: string): void {
    if (this.failed || this.destroyed) return;
    this.failed = true;
    this.teardown();
    this.hideDebugHandle();
    this.options.fallback(reason);
  }

  private onInit(codecs: string, data: ArrayBuffer): void {
    if (this.failed || this.destroyed) return;
    this.gotInit = true;
    clearTimeout(this.initTimer);
    const MS = mediaSourceClass();
    if (!MS?.isTypeSupported(mimeOf(codecs))) return this.fail(`codecs not supported: ${codecs}`);
    this.streamEnded = false;
    this.seekAfterAppend = true;
    this.queue = [];
    if (!this.mediaSource) {
      this.codecs = codecs;
      this.attach(MS, data);
      return;
    }
    const ms = this.mediaSource;
    const sb = this.sourceBuffer;
    if (!sb || ms.readyState !== 'open') {
      // Still opening (the first init's sourceopen queues it), or ended: start over on a fresh source.
      if (ms.readyState === 'ended') return this.restartSource(MS, codecs, data);
      this.codecs = codecs;
      this.pendingInit = data;
      return;
    }
    // A new run: drop what was queued and buffered, then the new init segment.
    try {
      if (sb.updating) sb.abort();
    } catch {
      // abort() refuses during a removal: the queue waits for its updateend.
    }
    const changeType = (sb as SourceBuffer & { changeType?: (type: string) => void }).changeType;
    if (typeof changeType === 'function' || codecs === this.codecs) {
      if (sb.buffered.length > 0) this.queue.push({ kind: 'remove', start: 0, end: Infinity });
      this.pendingType = codecs !== this.codecs ? codecs : null;
      this.codecs = codecs;
      this.queue.push({ kind: 'append', data });
      this.pump();
    } else {
      this.restartSource(MS, codecs, data);
    }
  }

  private pendingInit: ArrayBuffer | null = null;
  /** changeType() to this before the next append (a new run with other codecs). */
  private pendingType: string | null = null;

  /** Forgets the MediaSource and its SourceBuffer (their listeners removed); the object URL stays. */
  private dropSource(): void {
    const sb = this.sourceBuffer;
    if (sb) {
      sb.removeEventListener('updateend', this.onUpdateEnd);
      sb.removeEventListener('error', this.onSourceBufferError);
    }
    this.sourceBuffer = null;
    this.mediaSource = null;
  }

  private restartSource(MS: typeof MediaSource, codecs: string, data: ArrayBuffer): void {
    this.dropSource();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
    this.codecs = codecs;
    this.attach(MS, data);
  }

  private attach(MS: typeof MediaSource, init: ArrayBuffer): void {
    const ms = new MS();
    this.mediaSource = ms;
    this.pendingInit = init;
    ms.addEventListener(
      'sourceopen',
      () => {
        if (ms !== this.mediaSource || this.failed || this.destroyed) return;
        let sb: SourceBuffer;
        try {
          sb = ms.addSourceBuffer(mimeOf(this.codecs));
          sb.mode = 'segments';
        } catch (error) {
          return this.fail(`addSourceBuffer: ${String(error)}`);
        }
        this.sourceBuffer = sb;
        sb.addEventListener('updateend', this.onUpdateEnd);
        sb.addEventListener('error', this.onSourceBufferError);
        const data = this.pendingInit;
        this.pendingInit = null;
        if (data) this.queue.unshift({ kind: 'append', data });
        this.pump();
      },
      { once: true },
    );
    // ManagedMediaSource (Safari) plays only with remote playback off, or an AirPlay alternative.
    this.video.disableRemotePlayback = true;
    this.liveVideo.listen();
    this.objectUrl = URL.createObjectURL(ms);
    this.video.src = this.objectUrl;
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
  }

  private onFragment(data: ArrayBuffer, wallclock: number): void {
    if (this.failed || this.destroyed || !this.gotInit || this.streamEnded) return;
    this.queue.push({ kind: 'append', data, wallclock });
    this.pump();
  }

  private onEnd(): void {
    if (this.failed || this.destroyed || this.streamEnded) return;
    this.streamEnded = true;
    clearTimeout(this.initTimer);
    if (!this.mediaSource) {
      this.events.ended();
      return;
    }
    this.queue.push({ kind: 'end' });
    this.pump();
  }

  private pump(): void {
    const ms = this.mediaSource;
    const sb = this.sourceBuffer;
    if (!ms || !sb || sb.updating || ms.readyState !== 'open') return;
    const op = this.queue.shift();
    if (!op) return;
    try {
      switch (op.kind) {
        case 'append': {
          if (this.pendingType !== null) {
            (sb as SourceBuffer & { changeType(type: string): void }).changeType(mimeOf(this.pendingType));
            sb.mode = 'segments';
            this.pendingType = null;
          }
          const before = this.bufferedEnd();
          this.appending = { wallclock: op.wallclock, before };
          sb.appendBuffer(op.data);
          return;
        }
        case 'remove': {
          this.appending = null;
          const end = Number.isNaN(ms.duration) ? op.end : Math.min(op.end, ms.duration);
          if (end <= op.start) return this.pump();
          sb.remove(op.start, end);
          return;
        }
        case 'end':
          this.appending = null;
          ms.endOfStream();
          return;
      }
    } catch (error) {
      if ((error as { name?: string }).name === 'QuotaExceededError' && op.kind === 'append') {
        // Full: drop more back buffer and try this one again.
        const t = this.video.currentTime;
        this.queue.unshift(op);
        if (t > 1) {
          this.queue.unshift({ kind: 'remove', start: 0, end: t - 1 });
          this.pump();
          return;
        }
      }
      this.fail(`${op.kind}: ${String(error)}`);
    }
  }

  private appending: { wallclock?: number; before: number | null } | null = null;

  private readonly onUpdateEnd = (): void => {
    const done = this.appending;
    this.appending = null;
    if (done?.wallclock !== undefined) {
      this.newestWallclock = done.wallclock;
      const end = this.bufferedEnd();
      if (end !== null && done.before !== null && end > done.before && end - done.before < 2) this.fragmentS = end - done.before;
      if (this.seekAfterAppend && end !== null) {
        this.seekAfterAppend = false;
        this.following = true;
        this.seek(Math.max(this.bufferedStart() ?? 0, end - LIVE_TARGET_BEHIND_S));
        if (!this.started) {
          this.started = true;
          void this.play();
        }
      }
    }
    this.pump();
  };

  private readonly onSourceBufferError = (): void => this.fail('SourceBuffer error');

  /** Every TICK_MS: near the live edge (when following), back buffer trimmed. */
  private tick(): void {
    const end = this.bufferedEnd();
    if (end === null || this.video.seeking) return;
    const behind = Math.max(0, end - this.video.currentTime);
    if (this.following && !this.video.paused && !this.streamEnded) {
      const action = liveEdgeAction(behind, end, this.video.playbackRate);
      if (action.kind === 'jump') this.seek(Math.max(this.bufferedStart() ?? 0, action.to));
      else if (this.video.playbackRate !== action.rate) this.video.playbackRate = action.rate;
    } else if (this.video.playbackRate !== 1) {
      this.video.playbackRate = 1;
    }
    const start = this.bufferedStart();
    const keepFrom = this.video.currentTime - BACK_BUFFER_S;
    if (start !== null && start < keepFrom - TRIM_SLACK_S && !this.queue.some((op) => op.kind === 'remove')) {
      this.queue.push({ kind: 'remove', start: 0, end: keepFrom });
      this.pump();
    }
  }

  private seek(to: number): void {
    if (Math.abs(this.video.currentTime - to) < 0.05) return;
    this.selfSeek = true;
    this.video.currentTime = to;
  }

  private bufferedEnd(): number | null {
    if (!this.sourceBuffer || !this.mediaSource) return null;
    const ranges = this.video.buffered;
    if (ranges.length === 0) return null;
    return ranges.end(ranges.length - 1);
  }

  private bufferedStart(): number | null {
    if (!this.sourceBuffer || !this.mediaSource) return null;
    const ranges = this.video.buffered;
    return ranges.length === 0 ? null : ranges.start(0);
  }

  private debugHandle(): LiveDebugHandle {
    const video = this.video;
    return {
      hls: null,
      video,
      transport: 'ws',
      latencyMs: () => this.latencyMs(),
      behindLiveS: () => this.behindLiveS(),
    };
  }
}
