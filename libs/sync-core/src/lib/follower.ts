/**
 * Follower control law (tuned from measurements of Chromium's <video>, see follower-tuning.ts): keeps a <video> on the group timeline.
 *
 * - Large error (start, a new group state, > RESYNC_ERROR_S off, player paused by someone
 *   else): "timed-play resync" — pause, seek ahead to expected + margin·rate, and have the
 *   caller call play() at the local time when expected reaches target − L·rate, L being the
 *   play() latency, so the clock starts moving exactly when the timeline reaches the target.
 *   L is learned from the error left after each resync.
 * - Small error: steer playbackRate = groupRate·(1 − k·error_s), clamped to ±5 %, with a
 *   dead band (start above 5 ms, stop below 1 ms) so the rate sits exactly on the group rate
 *   almost all the time.
 * - Group paused: pause, and seek to exactly the group position when off.
 *
 * Pure: no timers, no clock, no DOM. The caller feeds one FollowerInput per tick (~50 ms)
 * and applies the returned action. `video.preservesPitch = false` is the caller's job
 * (with pitch preservation every rate switch costs 20-25 ms and the loop never settles).
 */
import {
  DEFAULT_FOLLOWER_TUNING,
  type FollowerTuning,
  MOVE_EPSILON_S,
  PAUSED_TOLERANCE_S,
  PLAY_LATENCY_GAIN,
  PLAY_LATENCY_MAX_MS,
  PLAY_LATENCY_MAX_STEP_MS,
  PLAY_LATENCY_MIN_MS,
  PLAY_START_TIMEOUT_MS,
  RATE_WRITE_MIN_STEP,
  SEEK_DEADLINE_GUARD_MS,
} from './follower-tuning';

/** What the follower sees on one tick. Times in ms on the local clock, positions in s. */
export interface FollowerInput {
  /** Group position now: positionAt(state, clock.serverNow(nowMs)). */
  expectedPosition: number;
  /** Group playback rate (state.rate). */
  groupRate: number;
  /** Group is playing (state.playing). */
  groupPlaying: boolean;
  /** Group state revision; a new one is a discontinuity (play, seek, rate, source) → resync. */
  rev: number;
  /** video.currentTime */
  currentTime: number;
  /** video.paused */
  paused: boolean;
  /** video.seeking */
  seeking: boolean;
  /** video.playbackRate */
  playbackRate: number;
  /** Local monotonic time, e.g. performance.now(). */
  nowMs: number;
}

/**
 * What the caller must do now. Any action other than `none` cancels a play() that an
 * earlier `seek` scheduled and has not yet happened.
 */
export type FollowerAction =
  /** Nothing to change. */
  | { kind: 'none' }
  /** Set video.playbackRate = rate. */
  | { kind: 'rate'; rate: number }
  /** Call video.pause(); the position is already right. */
  | { kind: 'pause' }
  /**
   * Call video.pause() if playing, set video.playbackRate = rate, set video.currentTime =
   * position. If playAtLocalMs is a number, call video.play() at that local time (a timer);
   * if null, stay paused.
   */
  | { kind: 'seek'; position: number; rate: number; playAtLocalMs: number | null };

export type FollowerPhase = 'idle' | 'resync' | 'steady' | 'paused';

interface ResyncPlan {
  issuedAtMs: number;
  playAtMs: number;
  /** First tick that saw the seek finished, and the position it showed. */
  seekDoneAtMs: number | null;
  seekedPosition: number;
}

const NONE: FollowerAction = { kind: 'none' };
const finite = (a: FollowerAction): boolean =>
  a.kind === 'rate'
    ? Number.isFinite(a.rate)
    : a.kind !== 'seek' || [a.position, a.rate, a.playAtLocalMs ?? 0].every(Number.isFinite);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export class FollowerController {
  private readonly tuning: FollowerTuning;
  private latencyMs: number;
  private seekMs: number;
  private phaseNow: FollowerPhase = 'idle';
  private plan: ResyncPlan | null = null;
  private last: { rev: number; rate: number; playing: boolean } | null = null;
  private steering = false;
  private holdUntilMs = Number.NEGATIVE_INFINITY;
  /** Where we sought to while the group is paused (so a player that snaps does not loop). */
  private pausedTarget: number | null = null;
  /** Where the player settled after that seek; moving off it means someone else seeked. */
  private pausedSettled: number | null = null;
  private residualMs: number | null = null;
  private latencySamples = 0;

  constructor(tuning: Partial<FollowerTuning> = {}) {
    this.tuning = { ...DEFAULT_FOLLOWER_TUNING, ...tuning };
    this.latencyMs = clamp(this.tuning.playLatencyMs, PLAY_LATENCY_MIN_MS, PLAY_LATENCY_MAX_MS);
    this.seekMs = Math.max(0, this.tuning.seekLeadMs);
  }

  /** Learned play() latency L (ms). */
  get playLatencyMs(): number {
    return this.latencyMs;
  }

  /** Seed L, e.g. from a short muted play() at load. */
  set playLatencyMs(ms: number) {
    if (Number.isFinite(ms)) this.latencyMs = clamp(ms, PLAY_LATENCY_MIN_MS, PLAY_LATENCY_MAX_MS);
  }

  /** Learned paused-seek duration (ms), used to size the seek margin. */
  get seekLeadMs(): number {
    return this.seekMs;
  }

  get phase(): FollowerPhase {
    return this.phaseNow;
  }

  /** Error (ms, + = ahead) measured when the clock started after the last resync. */
  get lastResidualMs(): number | null {
    return this.residualMs;
  }

  /** Forget the player's state (new media element or source); learned latencies stay. */
  reset(): void {
    this.phaseNow = 'idle';
    this.plan = null;
    this.last = null;
    this.steering = false;
    this.pausedTarget = null;
  }

  tick(input: FollowerInput): FollowerAction {
    const action = this.decide(input);
    // Absurd but finite input (positions near 1e308) can overflow; never hand out Infinity.
    return finite(action) ? action : NONE;
  }

  private decide(input: FollowerInput): FollowerAction {
    const { expectedPosition, groupRate: g, currentTime, playbackRate, nowMs, rev } = input;
    // Garbage in (NaN, a zero rate) must never become a NaN rate or position out.
    if (![expectedPosition, g, currentTime, playbackRate, nowMs, rev].every(Number.isFinite))
      return NONE;
    if (g <= 0) return NONE;
    const expected = Math.max(0, expectedPosition);
    const ct = Math.max(0, currentTime); // some players report -0 or tiny negatives after load
    const changed =
      this.last === null ||
      this.last.rev !== rev ||
      this.last.rate !== g ||
      this.last.playing !== input.groupPlaying;
    this.last = { rev, rate: g, playing: input.groupPlaying };

    if (!input.groupPlaying) return this.followPause(input, expected, ct, changed);
    this.pausedTarget = null;
    if (changed || this.phaseNow === 'idle' || this.phaseNow === 'paused') {
      return this.resync(nowMs, expected, g);
    }
    const err = ct - expected;
    if (this.phaseNow === 'resync') return this.followResync(input, err, ct, expected);
    return this.steer(input, err, expected);
  }

  private followPause(
    input: FollowerInput,
    expected: number,
    ct: number,
    changed: boolean,
  ): FollowerAction {
    this.phaseNow = 'paused';
    this.plan = null;
    this.steering = false;
    if (input.seeking) return input.paused ? NONE : { kind: 'pause' };
    if (changed) this.pausedTarget = null;
    if (this.pausedTarget !== null) {
      if (this.pausedSettled === null) this.pausedSettled = ct;
      else if (Math.abs(ct - this.pausedSettled) > PAUSED_TOLERANCE_S) this.pausedTarget = null;
    }
    const off = Math.abs(ct - expected) > PAUSED_TOLERANCE_S;
    const alreadySought =
      this.pausedTarget !== null && Math.abs(this.pausedTarget - expected) <= PAUSED_TOLERANCE_S;
    if (off && !alreadySought) {
      this.pausedTarget = expected;
      this.pausedSettled = null;
      return { kind: 'seek', position: expected, rate: input.groupRate, playAtLocalMs: null };
    }
    return input.paused ? NONE : { kind: 'pause' };
  }

  private resync(nowMs: number, expected: number, g: number): FollowerAction {
    const marginMs = Math.max(
      this.tuning.seekMarginMs,
      this.seekMs + this.latencyMs + SEEK_DEADLINE_GUARD_MS,
    );
    const position = expected + (marginMs / 1000) * g;
    // expected(t) = expected + g·(t − now): it reaches position − L·g at now + margin − L.
    const playAtMs = nowMs + marginMs - this.latencyMs;
    this.phaseNow = 'resync';
    this.steering = false;
    this.plan = { issuedAtMs: nowMs, playAtMs, seekDoneAtMs: null, seekedPosition: position };
    return { kind: 'seek', position, rate: g, playAtLocalMs: playAtMs };
  }

  private followResync(
    input: FollowerInput,
    err: number,
    ct: number,
    expected: number,
  ): FollowerAction {
    const plan = this.plan;
    const { nowMs, groupRate: g } = input;
    if (plan === null) return this.resync(nowMs, expected, g);
    if (input.seeking) {
      if (nowMs < plan.playAtMs - SEEK_DEADLINE_GUARD_MS) return NONE;
      // The seek will not finish before play(): learn that seeks are slower, plan again.
      this.seekMs = Math.max(this.seekMs, nowMs - plan.issuedAtMs + SEEK_DEADLINE_GUARD_MS);
      return this.resync(nowMs, expected, g);
    }
    if (plan.seekDoneAtMs === null) {
      plan.seekDoneAtMs = nowMs;
      plan.seekedPosition = ct;
      // Fast attack, slow release: one slow seek raises the lead at once, fast ones lower it gently.
      const took = nowMs - plan.issuedAtMs;
      this.seekMs = took > this.seekMs ? took : this.seekMs + 0.1 * (took - this.seekMs);
    }
    const moved = !input.paused && ct > plan.seekedPosition + MOVE_EPSILON_S;
    if (!moved) {
      const late = nowMs > plan.playAtMs + this.latencyMs + PLAY_START_TIMEOUT_MS;
      return late ? this.resync(nowMs, expected, g) : NONE;
    }
    // The clock runs: what is left is how wrong L was (ahead → L too large).
    this.residualMs = err * 1000;
    if (plan.seekDoneAtMs <= plan.playAtMs && nowMs >= plan.playAtMs) {
      const stepMs = clamp((-err / g) * 1000, -PLAY_LATENCY_MAX_STEP_MS, PLAY_LATENCY_MAX_STEP_MS);
      const gain = Math.max(PLAY_LATENCY_GAIN, 1 / (this.latencySamples + 1));
      this.latencySamples++;
      this.latencyMs = clamp(
        this.latencyMs + gain * stepMs,
        PLAY_LATENCY_MIN_MS,
        PLAY_LATENCY_MAX_MS,
      );
    }
    this.phaseNow = 'steady';
    this.holdUntilMs = plan.issuedAtMs + this.tuning.rateHoldAfterSeekMs;
    this.plan = null;
    return this.steer(input, err, expected);
  }

  private steer(input: FollowerInput, err: number, expected: number): FollowerAction {
    const { nowMs, groupRate: g, playbackRate } = input;
    const t = this.tuning;
    if (input.paused || Math.abs(err) > t.resyncErrorS) return this.resync(nowMs, expected, g);
    if (input.seeking) {
      // Someone else seeks: the clock stays frozen until up to 225 ms after; don't steer on that.
      this.holdUntilMs = nowMs + t.rateHoldAfterSeekMs;
      return NONE;
    }
    let target = g;
    if (nowMs >= this.holdUntilMs) {
      const abs = Math.abs(err);
      if (!this.steering && abs > t.steerStartS) this.steering = true;
      else if (this.steering && abs < t.steerStopS) this.steering = false;
      if (this.steering) {
        const dev = t.maxRateDeviation;
        const k = Math.min(t.steerGain, t.maxLoopGain / g);
        target = clamp(g * (1 - k * err), g * (1 - dev), g * (1 + dev));
      }
    }
    const needsWrite =
      target === g ? playbackRate !== g : Math.abs(target - playbackRate) > g * RATE_WRITE_MIN_STEP;
    return needsWrite ? { kind: 'rate', rate: target } : NONE;
  }
}
