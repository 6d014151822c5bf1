import { DestroyRef, Injectable, InjectionToken, effect, inject, signal, untracked } from '@angular/core';
import { MAX_STATUS_ERROR, type ParticipantStatus, type PlaybackState } from '@watch-party/contracts';
import {
  ClockEstimator,
  FollowerController,
  type FollowerAction,
  type FollowerPhase,
  type FollowerStrategy,
  nextPingDelayMs,
  positionAt,
  pushBounded,
  SteppedReads,
  type StallLogEntry,
  type TimedPlayLogEntry,
} from '@watch-party/sync-core';
import { BrowserStorageService } from './browser-storage.service';
import { DebugHandlesService } from './debug-handles.service';
import { SessionSocketService, type ClientEvent, type EventAck, type EventPayload } from './session-socket.service';

/**
 * The one local clock (ms) used for pings, follower ticks and the timed play(): monotonic,
 * sub-millisecond. Replaced in tests.
 */
export const SYNC_NOW = new InjectionToken<() => number>('SYNC_NOW', {
  providedIn: 'root',
  factory: () => () => performance.now(),
});

/** Follower decision period (measured in Chromium: ~50 ms is enough). */
export const TICK_MS = 50;
/** Regular status report; the server limits status + pings to 20/s per socket. */
export const STATUS_EVERY_MS = 1000;
/** Minimum spacing of status reports, even when the status flips quickly. */
export const STATUS_MIN_GAP_MS = 250;
/**
 * Not enough data for this long before we say "buffering": a paused resync seek (100-200 ms)
 * is not buffering, and with waitForBuffering a false report would pause everyone.
 */
export const BUFFERING_AFTER_MS = 500;
/**
 * Where the learned play() latency is kept between visits. It differs a lot per device
 * (85 ms on a desktop with audio, 15-35 ms in headless Chromium without an audio device), and a
 * good seed saves the first resync of every visit tens of ms of error.
 */
export const PLAY_LATENCY_KEY = 'wp.playLatencyMs';
/**
 * What the follower learned about this browser's rate writes (`seek-only` when a write stalls
 * the clock, as in WebKit), kept so a returning viewer does not pay for the lesson again.
 */
export const FOLLOWER_STRATEGY_KEY = 'wp.followerStrategy';
/**
 * After a timed play() the follower is not ticked until the element presents a frame past the
 * seek target (requestVideoFrameCallback), at most this long: Chromium moves currentTime up
 * 10-40 ms at play() and then stands still ~60-100 ms while the pipeline starts, and a
 * follower that took that first read for the start would learn a play latency far too small.
 */
export const START_FRAME_WAIT_MS = 400;
/**
 * After this many waits in a row that saw no frame callback at all (page visible), the engine's
 * requestVideoFrameCallback is taken for one that never calls back and starts are no longer
 * gated on it: WebKitGTK 2.50 has the method but called back 0 times in every 400 ms wait (12
 * starts), and each wait held the follower's first look 400 ms after the clock ran.
 */
export const SILENT_FRAME_WAITS_TO_SKIP = 2;
/** Within this of the end, a player that has no future data is finished, not buffering. */
const END_EPSILON_S = 0.1;

const HAVE_METADATA = 1;
const HAVE_FUTURE_DATA = 3;

/** Read-only view for browser tests and debugging: `window.__wpSync`, only with the debug flag (DebugHandlesService). */
export interface SyncDebugHandle {
  expectedPosition(): number;
  currentTime(): number;
  /** expected and current read in the same task, plus what the player is doing. */
  sample(): { expected: number; current: number; paused: boolean; rate: number; phase: FollowerPhase };
  readonly offsetMs: number;
  readonly rttMs: number;
  readonly state: PlaybackState | null;
  readonly playLatencyMs: number;
  /** Error (ms) left when the clock started after the last resync; what L learns from. */
  readonly lastResidualMs: number | null;
  readonly phase: FollowerPhase;
  readonly status: ParticipantStatus;
  readonly needsGesture: boolean;
  /** How many times the follower has written `playbackRate` (steering and seeks): tests count wobble. */
  readonly rateWrites: number;
  /** The follower's last actions with the error read when each was taken (ms), oldest first. */
  readonly actions: FollowerLogEntry[];
  /** The last timed play() calls: when planned and when play() was called (local ms), with the play latency planned with, oldest first. */
  readonly timedPlays: TimedPlayLogEntry[];
  /** Period (ms) of stepped currentTime reads (Firefox: ~40), null while reads look continuous. */
  readonly readStepMs: number | null;
  /** How the follower corrects small errors here, and the read noise it learned (ms). */
  readonly strategy: FollowerStrategy;
  readonly readNoiseMs: number;
  /** Stalls seen after the follower's rate writes and whether they were blamed on the write. */
  readonly stalls: StallLogEntry[];
  /** Sends a raw client event (the server still checks everything). */
  emit<E extends ClientEvent>(event: E, payload: EventPayload<E>): Promise<EventAck<E>>;
  /** Closes the transport like a network drop; socket.io reconnects on its own. */
  dropConnection(): void;
}

/** One follower action as the debug handle lists it. */
export type FollowerLogEntry = FollowerAction & { atMs: number; error: number; strategy: FollowerStrategy };
/** Actions kept for the debug handle. */
const ACTION_LOG_SIZE = 100;

declare global {
  interface Window {
    __wpSync?: SyncDebugHandle;
  }
}

/**
 * Keeps the local <video> on the group timeline: an NTP-style clock (time:ping on the
 * nextPingDelayMs schedule, restarted on every reconnect), the FollowerController ticked
 * every 50 ms, and participant:status reports. The player only ever follows the server's
 * PlaybackState: nothing here sends a playback command, so there is no echo loop.
 * Provide it per watch page, next to SessionSocketService.
 */
@Injectable()
export class SyncEngineService {
  private readonly socket = inject(SessionSocketService);
  private readonly now = inject(SYNC_NOW);
  private readonly storage = inject(BrowserStorageService);
  private readonly hideDebugHandle: () => void;

  private readonly clock = new ClockEstimator();
  private readonly follower = new FollowerController();
  /** Looks at currentTime on every animation frame: recognises engines whose reads come in steps. */
  private readonly stepped = new SteppedReads();
  private lookFrame: number | null = null;
  private video: HTMLVideoElement | null = null;
  private readonly detachListeners: (() => void)[] = [];

  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private playTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timedPlayLog: TimedPlayLogEntry[] = [];
  /** A timed play() waits for its first new frame: no follower decision until then (same group state). */
  private startGate: { rev: number; sinceMs: number; frames: number; lastMediaTime: number } | null = null;
  /** Frame waits in a row that ended with no frame callback at all (page visible). */
  private silentFrameWaits = 0;
  /** Debug counter only (`__wpSync.rateWrites`): nothing reads it to decide. */
  private rateWrites = 0;
  /** The follower's last actions (debug handle only), oldest first. */
  private readonly actionLog: FollowerLogEntry[] = [];
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private pingsSent = 0;
  private pingEpoch = 0;
  private loadingSince: number | null = null;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private lastReported: ParticipantStatus | null = null;
  private destroyed = false;
  private lastResidual: number | null = null;

  /** play() was refused by the autoplay policy: the user must click once. */
  readonly needsGesture = signal(false);
  /** What we report as our participant status. */
  readonly status = signal<ParticipantStatus>('ready');
  /**
   * Why this browser cannot play the current source (set by the player when loading fails,
   * cleared when the source changes); while set we report status `error` with this text.
   */
  readonly mediaError = signal<string | null>(null);
  /** currentTime − expected (ms) at the last tick, when it means something. */
  readonly driftMs = signal<number | null>(null);
  /** True once the clock has at least one sample since the last (re)connect. */
  readonly clockReady = signal(false);
  /** The <video>'s duration (s) once known and finite, else null (the end-of-video card reads it). */
  readonly videoDuration = signal<number | null>(null);

  constructor() {
    effect(() => {
      const connections = this.socket.connectionCount();
      untracked(() => {
        if (connections > 0) this.restartClock();
      });
    });
    // React to a new group state at once instead of at the next tick (saves up to 50 ms).
    effect(() => {
      const state = this.socket.playback();
      untracked(() => {
        if (state) this.tick();
      });
    });
    // A load failure (or its end) is reported at once, not at the next regular report.
    effect(() => {
      this.mediaError();
      untracked(() => this.evaluateStatus());
    });
    const seeded = Number(this.storage.read(PLAY_LATENCY_KEY) ?? Number.NaN);
    if (Number.isFinite(seeded) && seeded > 0) this.follower.playLatencyMs = seeded;
    if (this.storage.read(FOLLOWER_STRATEGY_KEY) === 'seek-only') this.follower.strategy = 'seek-only';
    this.hideDebugHandle = inject(DebugHandlesService).expose('__wpSync', () => this.debugHandle());
    inject(DestroyRef).onDestroy(() => this.destroy());
  }

  /** Hands the engine the <video> to drive; call `mediaChanged()` whenever its source changes. */
  attach(video: HTMLVideoElement): void {
    if (this.video === video) return;
    this.detach();
    this.video = video;
    video.preservesPitch = false;
    const onChange = () => this.evaluateStatus();
    for (const event of ['waiting', 'playing', 'pause', 'seeked', 'canplay', 'loadedmetadata', 'ended'] as const) {
      video.addEventListener(event, onChange);
      this.detachListeners.push(() => video.removeEventListener(event, onChange));
    }
    this.follower.reset();
    this.stepped.reset();
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.scheduleLook();
    this.scheduleStatus(0);
  }

  detach(): void {
    clearInterval(this.tickTimer);
    if (this.lookFrame !== null) cancelAnimationFrame(this.lookFrame);
    this.lookFrame = null;
    this.cancelPlay();
    for (const off of this.detachListeners.splice(0)) off();
    this.video = null;
  }

  /** The <video> got a new source (or lost it): forget the player's state, keep what was learned. */
  mediaChanged(): void {
    this.cancelPlay();
    this.follower.reset();
    this.stepped.reset();
    this.loadingSince = null;
    this.driftMs.set(null);
    this.videoDuration.set(null);
  }

  /**
   * The user clicked "Click to join playback": a play() inside the gesture unlocks the
   * element; the follower then pauses, seeks ahead and starts it on the group position.
   */
  unlockPlayback(): void {
    const video = this.video;
    this.needsGesture.set(false);
    if (!video) return;
    video.play().catch((error: unknown) => this.onPlayRejected(error));
    this.cancelPlay();
    this.follower.reset();
    this.tick();
  }

  /** Group position now (s) by our clock estimate; null before the first state. */
  expectedPosition(): number | null {
    const state = this.socket.playback();
    if (!state) return null;
    return positionAt(state, this.clock.serverNow(this.now()));
  }

  /** Round trip of the trusted clock sample (ms); the offset is within ±rtt/2. */
  get rttMs(): number {
    return this.clock.rttMs;
  }

  get offsetMs(): number {
    return this.clock.offsetMs;
  }

  // ---- clock ----

  private restartClock(): void {
    clearTimeout(this.pingTimer);
    // Possibly another replica now: its clock may differ, so start the estimate afresh.
    this.clock.reset();
    this.clockReady.set(false);
    this.pingsSent = 0;
    this.pingEpoch++;
    this.schedulePing();
  }

  private schedulePing(): void {
    if (this.destroyed) return;
    this.pingTimer = setTimeout(() => this.ping(), nextPingDelayMs(this.pingsSent));
  }

  private ping(): void {
    if (!this.socket.isConnected) return; // the next connect restarts the schedule
    const epoch = this.pingEpoch;
    const t0 = this.now();
    this.pingsSent++;
    this.schedulePing();
    void this.socket.request('time:ping', { t0 }).then((ack) => {
      const t3 = this.now();
      if (!ack.ok || epoch !== this.pingEpoch) return;
      if (this.clock.addSample({ t0, serverTime: ack.serverTime, t3 }) && !this.clockReady()) {
        this.clockReady.set(true);
        this.tick();
      }
    });
  }

  // ---- follower ----

  /** One look at the element per animation frame (none while the page is hidden). */
  private scheduleLook(): void {
    if (typeof requestAnimationFrame !== 'function') return;
    this.lookFrame = requestAnimationFrame(() => {
      const video = this.video;
      if (!video) return;
      this.look(video);
      this.scheduleLook();
    });
  }

  private look(video: HTMLVideoElement): number {
    const value = video.currentTime;
    this.stepped.observe(this.now(), value, video.playbackRate, !video.paused && !video.seeking);
    return value;
  }

  private tick(): void {
    const video = this.video;
    const state = this.socket.playback();
    if (!video || !state || !this.clock.hasEstimate || !this.socket.session()?.source) return;
    if (video.readyState < HAVE_METADATA || video.error) return;
    // Autoplay refused: wait for the click instead of retrying play() every second.
    if (this.needsGesture() && state.playing) {
      this.driftMs.set(null);
      return;
    }
    const currentTime = this.look(video);
    const nowMs = this.now();
    const gate = this.startGate;
    if (gate !== null) {
      if (gate.rev === state.rev && nowMs - gate.sinceMs < START_FRAME_WAIT_MS) {
        this.evaluateStatus();
        return;
      }
      this.startGate = null;
      this.noteGate('timeout', nowMs - gate.sinceMs, gate);
      // A hidden page gets no frame callbacks anyway: that says nothing of the engine.
      if (gate.frames > 0) this.silentFrameWaits = 0;
      else if (document.visibilityState === 'visible') this.silentFrameWaits++;
    }
    const presentedFrame = this.stepped.read(nowMs, currentTime);
    let expected = positionAt(state, this.clock.serverNow(nowMs));
    let groupPlaying = state.playing;
    const duration = video.duration;
    if (Number.isFinite(duration) && duration > 0 && expected >= duration) {
      // The group ran past the end: rest on the last frame like everyone else.
      expected = duration;
      groupPlaying = false;
    }
    const action = this.follower.tick({
      expectedPosition: expected,
      groupRate: state.rate,
      groupPlaying,
      rev: state.rev,
      currentTime,
      ...(presentedFrame ? { presentedFrame } : {}),
      buffering: video.readyState < HAVE_FUTURE_DATA,
      paused: video.paused,
      seeking: video.seeking,
      playbackRate: video.playbackRate,
      nowMs,
    });
    if (action.kind !== 'none') {
      pushBounded(this.actionLog, { atMs: nowMs, error: (currentTime - expected) * 1000, strategy: this.follower.strategy, ...action }, ACTION_LOG_SIZE);
    }
    this.apply(video, action);
    this.rememberLatency();
    const settled = this.follower.phase === 'steady' || (this.follower.phase === 'paused' && !video.seeking);
    this.driftMs.set(settled ? (video.currentTime - expected) * 1000 : null);
    this.evaluateStatus();
  }

  private apply(video: HTMLVideoElement, action: FollowerAction): void {
    if (action.kind === 'none') return;
    // Any action cancels a play() scheduled by an earlier seek (FollowerAction contract).
    this.cancelPlay();
    switch (action.kind) {
      case 'rate':
        video.playbackRate = action.rate;
        this.rateWrites++;
        return;
      case 'pause':
        video.pause();
        return;
      case 'seek': {
        if (!video.paused) video.pause();
        // The follower sets a new rate one tick before it seeks (WebKit may land a seek issued
        // right after a rate write at the wrong place); write it here only if it still differs.
        if (video.playbackRate !== action.rate) {
          video.playbackRate = action.rate;
          this.rateWrites++;
        }
        video.currentTime = action.position;
        if (action.playAtLocalMs !== null) this.schedulePlay(video, action.playAtLocalMs, action.position);
        return;
      }
      case 'hold':
        // Ahead: stand still where it is until the group is here (no seek).
        video.pause();
        this.schedulePlay(video, action.playAtLocalMs, video.currentTime);
        return;
    }
  }

  /** A timed play(): at local time `playAtMs`, from `target` (where the element waits). */
  private schedulePlay(video: HTMLVideoElement, playAtMs: number, target: number): void {
    this.playTimer = setTimeout(() => this.timedPlay(video, playAtMs, target), Math.max(0, playAtMs - this.now()));
  }

  /** After each resync the follower has corrected L, and maybe learned seek-only: keep them for the next visit. */
  private rememberLatency(): void {
    if (this.follower.strategy === 'seek-only' && this.storage.read(FOLLOWER_STRATEGY_KEY) !== 'seek-only') {
      this.storage.write(FOLLOWER_STRATEGY_KEY, 'seek-only');
    }
    const residual = this.follower.lastResidualMs;
    if (residual === null || residual === this.lastResidual) return;
    this.lastResidual = residual;
    const logged = this.timedPlayLog[this.timedPlayLog.length - 1];
    if (logged !== undefined) {
      // The last residual since that start (a seek-only start's settled one comes ~0.5 s after its first read).
      logged.residualMs = residual;
      logged.latencyAfterMs = this.follower.playLatencyMs;
    }
    this.storage.write(PLAY_LATENCY_KEY, this.follower.playLatencyMs.toFixed(1));
  }

  private noteGate(by: 'frame' | 'timeout', afterMs: number, gate: { frames: number; lastMediaTime: number }): void {
    const logged = this.timedPlayLog[this.timedPlayLog.length - 1];
    if (logged !== undefined && logged.gate === undefined) logged.gate = { by, afterMs, frames: gate.frames, lastMediaTime: gate.lastMediaTime };
  }

  /** The timer of a timed play() fired: play(), and let the follower look again once a new frame shows. */
  private timedPlay(video: HTMLVideoElement, playAtMs: number, target: number): void {
    const calledMs = this.now();
    // The clock starts that much later: the follower takes it out of what it learns from this start.
    this.follower.playCalledLate(calledMs - playAtMs);
    pushBounded(
      this.timedPlayLog,
      { plannedMs: playAtMs, calledMs, latencyMs: this.follower.playLatencyMs, target, positionAtPlay: video.currentTime, pausedAtPlay: video.paused },
      ACTION_LOG_SIZE,
    );
    this.startPlayback(video);
    this.gateUntilFrame(video, target);
  }

  /**
   * No follower decision until `video` presents a frame past `target` (the clock really runs), or
   * START_FRAME_WAIT_MS. Not for a seek-only follower: it ignores the first reads after a start
   * anyway and learns from the error ~0.45 s later. A fresh WebKitGTK page goes seek-only before
   * its second start, and that start's 400 ms wait for callbacks that never come put its
   * correction (a hold, 22 ms ahead) past 3 s after play (1 of 16 fresh runs).
   */
  private gateUntilFrame(video: HTMLVideoElement, target: number): void {
    const state = this.socket.playback();
    if (!state || typeof video.requestVideoFrameCallback !== 'function') return;
    if (this.silentFrameWaits >= SILENT_FRAME_WAITS_TO_SKIP || this.follower.strategy === 'seek-only') return;
    const gate = { rev: state.rev, sinceMs: this.now(), frames: 0, lastMediaTime: Number.NaN };
    this.startGate = gate;
    const onFrame = (_now: number, frame: VideoFrameCallbackMetadata) => {
      if (this.startGate !== gate || video !== this.video) return;
      gate.frames++;
      gate.lastMediaTime = frame.mediaTime - target;
      if (frame.mediaTime > target) {
        this.startGate = null;
        this.silentFrameWaits = 0;
        this.noteGate('frame', this.now() - gate.sinceMs, gate);
        this.tick();
      } else {
        video.requestVideoFrameCallback(onFrame);
      }
    };
    video.requestVideoFrameCallback(onFrame);
  }

  private startPlayback(video: HTMLVideoElement): void {
    this.playTimer = undefined;
    if (video !== this.video) return;
    video.play().then(
      () => this.needsGesture.set(false),
      (error: unknown) => this.onPlayRejected(error),
    );
  }

  private onPlayRejected(error: unknown): void {
    // AbortError: a pause() or a new source interrupted it, which the follower meant to do.
    if (error instanceof DOMException && error.name === 'NotAllowedError') {
      this.needsGesture.set(true);
      this.evaluateStatus();
    }
  }

  private cancelPlay(): void {
    this.startGate = null;
    clearTimeout(this.playTimer);
    this.playTimer = undefined;
  }

  // ---- status ----

  private computeStatus(): ParticipantStatus {
    const video = this.video;
    const state = this.socket.playback();
    if (!video || !state || !this.socket.session()?.source) return 'ready';
    if (this.mediaError() !== null) return 'error';
    if (this.needsGesture() && state.playing) return 'paused';
    const atEnd =
      video.ended || (Number.isFinite(video.duration) && video.currentTime >= video.duration - END_EPSILON_S);
    // The group is playing and our copy has run out: the server moves the queue on.
    if (atEnd && state.playing) return 'ended';
    const loading = !atEnd && (video.readyState < HAVE_FUTURE_DATA || video.seeking);
    const nowMs = this.now();
    if (loading) {
      this.loadingSince ??= nowMs;
      if (nowMs - this.loadingSince >= BUFFERING_AFTER_MS || this.status() === 'buffering') return 'buffering';
      // Not long enough to call it buffering: not ready either.
      return state.playing ? 'playing' : 'paused';
    }
    this.loadingSince = null;
    return state.playing ? 'playing' : 'ready';
  }

  private evaluateStatus(): void {
    const duration = this.video?.duration ?? Number.NaN;
    this.videoDuration.set(Number.isFinite(duration) && duration > 0 ? duration : null);
    const status = this.computeStatus();
    if (status !== this.status()) this.status.set(status);
    if (status !== this.lastReported) {
      this.scheduleStatus(Math.max(0, this.lastReportAt + STATUS_MIN_GAP_MS - this.now()));
    }
  }

  private scheduleStatus(delayMs: number): void {
    if (this.destroyed) return;
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => this.report(), delayMs);
  }

  private report(): void {
    this.scheduleStatus(STATUS_EVERY_MS);
    if (!this.socket.isConnected || !this.socket.playback()) return;
    const status = this.computeStatus();
    this.status.set(status);
    const video = this.video;
    const state = this.socket.playback();
    const position = Math.max(0, video && this.socket.session()?.source ? video.currentTime : (state?.position ?? 0));
    const drift = this.driftMs();
    this.lastReportAt = this.now();
    this.lastReported = status;
    const error = status === 'error' ? this.mediaError()?.slice(0, MAX_STATUS_ERROR) : undefined;
    void this.socket.request('participant:status', {
      status,
      // The state this report is about: an "ended" for a state the group has left moves nothing.
      ...(state ? { rev: state.rev } : {}),
      ...(error ? { error } : {}),
      position: Number.isFinite(position) ? position : 0,
      ...(drift !== null && Number.isFinite(drift) ? { driftMs: Math.round(drift * 10) / 10 } : {}),
    });
  }

  // ---- lifecycle ----

  private debugHandle(): SyncDebugHandle {
    const sample = () => {
      const video = this.video;
      return {
        expected: this.expectedPosition() ?? Number.NaN,
        current: video?.currentTime ?? Number.NaN,
        paused: video?.paused ?? true,
        rate: video?.playbackRate ?? Number.NaN,
        phase: this.follower.phase,
      };
    };
    const getters: Record<string, () => unknown> = {
      offsetMs: () => this.clock.offsetMs,
      rttMs: () => this.clock.rttMs,
      state: () => this.socket.playback(),
      playLatencyMs: () => this.follower.playLatencyMs,
      lastResidualMs: () => this.follower.lastResidualMs,
      phase: () => this.follower.phase,
      status: () => this.status(),
      needsGesture: () => this.needsGesture(),
      rateWrites: () => this.rateWrites,
      readStepMs: () => this.stepped.periodMs,
      actions: () => [...this.actionLog],
      timedPlays: () => [...this.timedPlayLog],
      strategy: () => this.follower.strategy,
      readNoiseMs: () => this.follower.readNoiseMs,
      stalls: () => [...this.follower.stalls],
    };
    return Object.defineProperties(
      {
        expectedPosition: () => this.expectedPosition() ?? Number.NaN,
        currentTime: () => this.video?.currentTime ?? Number.NaN,
        sample,
        emit: <E extends ClientEvent>(event: E, payload: EventPayload<E>) => this.socket.request(event, payload),
        dropConnection: () => this.socket.dropConnection(),
      },
      Object.fromEntries(Object.entries(getters).map(([key, get]) => [key, { get, enumerable: true }])),
    ) as SyncDebugHandle;
  }

  private destroy(): void {
    this.destroyed = true;
    this.detach();
    clearTimeout(this.pingTimer);
    clearTimeout(this.statusTimer);
    this.hideDebugHandle();
  }
}
