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
 * Other engines (issue 15), learned from what the player does, never from the user agent:
 * - Stepped reads (Firefox: currentTime changes every ~40 ms): the caller recognises them
 *   (SteppedReads, looking every animation frame) and passes `presentedFrame`, the value and
 *   when it was fresh; reads that still jitter are "noisy": the error is taken from the mean
 *   of the last ~1.5 s of reads projected to now along the rates read back (reset at every
 *   discontinuity), the dead band widens to a few standard errors of that mean, and steering
 *   writes at most ~2/s.
 * - Dropped rate writes (WebKit, during or right after a seek): the effective speed (a robust
 *   Theil-Sen slope of the reads, so WebKit's occasional read dips do not count) is compared
 *   with playbackRate; on disagreement the write is retried once, then a timed seek follows.
 * - Rate writes that stall the clock (WebKit: 40-250 ms lost per write, reads stand still):
 *   decisions wait for the clock to move again. A stall is seen as reads frozen after our
 *   write, or (short stalls fall between two ticks) as more than STALL_MIN_LOSS_MS lost
 *   against the rates read back within STALL_WINDOW_MS of it. The first stall is put to the
 *   test at once: no write until the clock runs steadily again, then one (a probe), so that a
 *   fresh WebKit knows within ~1 s of its first correction, long before 3 s after play (issue
 *   15). Not blamed on a write: time lost while our own ticks came late (a starved page), or
 *   right after the clock started (then only the probe decides). After
 *   FREEZES_TO_STOP_STEERING stalls while the element has data (or one write whose reads
 *   stand still STALL_DECISIVE_FREEZE_MS, right after a start or not), steering is dropped for
 *   seek-only correction (timed seeks beyond SEEK_ONLY_BAND_S, widened up to
 *   SEEK_ONLY_BAND_MAX_S where starts land further off), and the play latency is learned from
 *   the settled error (the first one after the switch replaces what steering learned).
 * - Never a rate write and a currentTime write in the same tick: a resync whose rate differs
 *   from playbackRate first returns the `rate` action, and the `seek` one tick later.
 *
 * Pure: no timers, no clock, no DOM. The caller feeds one FollowerInput per tick (~50 ms)
 * and applies the returned action. `video.preservesPitch = false` is the caller's job
 * (with pitch preservation every rate switch costs 20-25 ms and the loop never settles).
 */
import {
  DEFAULT_FOLLOWER_TUNING,
  FILTER_MIN_SAMPLES,
  FREEZE_AFTER_WRITE_MS,
  FREEZES_TO_STOP_STEERING,
  type FollowerTuning,
  MOVE_EPSILON_S,
  NOISY_RATE_WRITE_MIN_STEP,
  NOISY_STEER_GAIN,
  NOISY_READ_MS,
  NOISY_START_SIGMAS,
  NOISY_STOP_SIGMAS,
  RATE_VERIFY_SETTLE_MS,
  RATE_VERIFY_SPAN_MS,
  RATE_VERIFY_SPAN_NOISY_MS,
  RATE_VERIFY_TOLERANCE,
  RATE_VERIFY_TOLERANCE_NOISY,
  READ_NOISE_MIN_SAMPLES,
  READ_NOISE_SAMPLES,
  SEEK_ONLY_BAND_MAX_S,
  SEEK_ONLY_BAND_MISS_FACTOR,
  SEEK_ONLY_BAND_SAMPLES,
  SEEK_ONLY_BAND_SAMPLES_MIN,
  SEEK_ONLY_CONFIRM_TICKS,
  HOLD_MAX_S,
  HOLD_MIN_WAIT_MS,
  SEEK_ONLY_REFINE_S,
  SEEK_ONLY_STALL_S,
  SETTLED_LEARN_AT_MS,
  SETTLED_LEARN_FROM_MS,
  PAUSED_TOLERANCE_S,
  PLAY_LATENCY_GAIN,
  PLAY_LATENCY_MAX_MS,
  PLAY_LATENCY_MAX_STEP_MS,
  PLAY_LATENCY_MIN_MS,
  PLAY_LATE_LEARN_MAX_MS,
  PLAY_START_TIMEOUT_MS,
  RATE_WRITE_MIN_STEP,
  SEEK_DEADLINE_GUARD_MS,
  STALL_MIN_LOSS_MS,
  STALL_MAX_TICK_GAP_MS,
  STALL_DECISIVE_FREEZE_MS,
  STALL_MIN_RUN_MS,
  STALL_PROBE_GIVE_UP_MS,
  CLEAN_PROBES_AFTER_STALL,
  STALL_PROBE_RATE_STEP,
  START_OFFSET_STEADY_MS,
  START_OFFSET_TICKS,
  STALL_PROBE_STEADY_MS,
  STALL_WINDOW_MS,
  STALL_PROBE_VERDICT_MS,
} from './follower-tuning';
import { median, pushBounded } from './stats';

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
  /**
   * Optional, more precise than currentTime where the engine has it: the `mediaTime` of the
   * last frame presented (requestVideoFrameCallback) and the local time it was presented at
   * (its `presentationTime`, on the same clock as nowMs). Used while younger than 250 ms.
   */
  presentedFrame?: { mediaTime: number; atMs: number };
  /** Optional: the element waits for data (readyState < HAVE_FUTURE_DATA). */
  buffering?: boolean;
}

/**
 * What the caller must do now. Any action other than `none` cancels a play() that an
 * earlier `seek` scheduled and has not yet happened.
 */
export type FollowerAction =
  /** Nothing to change. */
  | { kind: 'none' }
  /**
   * Set video.playbackRate = rate, even when it reads that value already (a retry after a
   * write the element dropped).
   */
  | { kind: 'rate'; rate: number }
  /** Call video.pause(); the position is already right. */
  | { kind: 'pause' }
  /**
   * Call video.pause() if playing, set video.currentTime = position. `rate` is always the
   * value video.playbackRate read on this tick (the follower asked for it a tick earlier):
   * write playbackRate only if it differs, never in the same tick as currentTime (WebKit may
   * land such a seek at double its target). If playAtLocalMs is a number, call video.play()
   * at that local time (a timer); if null, stay paused.
   */
  | { kind: 'seek'; position: number; rate: number; playAtLocalMs: number | null }
  /**
   * Call video.pause() now and video.play() at playAtLocalMs (a timer): the element is ahead
   * and waits where it is for the group to catch up. No seek, no rate write.
   */
  | { kind: 'hold'; playAtLocalMs: number };

export type FollowerPhase = 'idle' | 'resync' | 'steady' | 'paused';

/** How the follower corrects small errors on this player, as learned so far. */
export type FollowerStrategy = 'steer' | 'seek-only';

/** What the follower made of a stall after one of its rate writes (debugging aid). */
export type StallVerdict =
  | 'counted'
  | 'early'
  | 'page-starved'
  | 'probe-dropped-noisy'
  | 'probe-dropped-late'
  /** Reads stood still STALL_DECISIVE_FREEZE_MS after the write: seek-only at once. */
  | 'decisive'
  /** Not a stall: the write lost at least half a stall's time, but less (`lossMs`, a near miss). */
  | 'none';
export interface StallLogEntry {
  /** The rate write concerned (local ms). */
  writeAtMs: number;
  how: 'frozen' | 'lost';
  verdict: StallVerdict;
  tickGapMs: number;
  probe: boolean;
  readNoiseMs: number;
  /** Most time lost against the rates read back within WRITE_AUDIT_MS of the write (ms). */
  lossMs?: number;
}
/**
 * One timed play() as a page's debug handle lists it (local ms): when it was planned and called,
 * with the play latency planned with. Kept here beside StallLogEntry so the page and its browser
 * tests share one shape.
 */
export interface TimedPlayLogEntry {
  plannedMs: number;
  calledMs: number;
  latencyMs: number;
  /** Where the seek was asked to land, and where the element stood when play() was called (s). */
  target: number;
  positionAtPlay: number;
  pausedAtPlay: boolean;
  /** What the follower learned from this start: its residual (ms, + ahead) and L afterwards. */
  residualMs?: number;
  latencyAfterMs?: number;
  /** How the follower's wait for a frame past the target ended, ms after play(): a frame, or the wait's limit. */
  gate?: { by: 'frame' | 'timeout'; afterMs: number; frames: number; lastMediaTime: number };
}
const STALL_LOG_SIZE = 20;
/** How long after a rate write the time it lost is followed, for the stall log. */
const WRITE_AUDIT_MS = 1000;

/** One read in steady play: local time, position read, read − model (see Observer). */
interface Read {
  t: number;
  ct: number;
  resid: number;
}

/** Frame-time reads older than this are not used (the page may be hidden). */
const FRAME_MAX_AGE_MS = 250;
/** Reads kept for the speed measurement. */
const READ_HISTORY_MS = 3000;

interface ResyncPlan {
  issuedAtMs: number;
  playAtMs: number;
  /** First tick that saw the seek finished, and the position it showed. */
  seekDoneAtMs: number | null;
  seekedPosition: number;
  /** How late the page called the timed play() (its timer fired late): the clock started that much later. */
  lateMs: number;
}

/** What a timed start was, for learning L from it: the group rate, whether it ran on plan, how late play() was called. */
interface StartFacts {
  g: number;
  early: boolean;
  lateMs: number;
}

const NONE: FollowerAction = { kind: 'none' };
const finite = (a: FollowerAction): boolean =>
  a.kind === 'rate'
    ? Number.isFinite(a.rate)
    : a.kind === 'hold'
      ? Number.isFinite(a.playAtLocalMs)
    : a.kind !== 'seek' || [a.position, a.rate, a.playAtLocalMs ?? 0].every(Number.isFinite);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * Robust slope of ct over t (s per ms), or null for fewer than 3 reads: the median of the
 * slopes between pairs of reads at least half the span apart (Theil-Sen). A single odd read
 * (WebKit's reads dip 15-50 ms behind the clock now and then) cannot fake a wrong speed.
 */
function slope(reads: readonly Read[]): number | null {
  if (reads.length < 3) return null;
  const minGap = (reads[reads.length - 1].t - reads[0].t) / 2;
  const slopes: number[] = [];
  for (let i = 0; i < reads.length; i++) {
    for (let j = i + 1; j < reads.length; j++) {
      const dt = reads[j].t - reads[i].t;
      if (dt >= minGap && dt > 0) slopes.push((reads[j].ct - reads[i].ct) / dt);
    }
  }
  return slopes.length > 0 ? median(slopes) : null;
}

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

  // ---- what the player's reads look like (learned, kept across resyncs) ----
  /** |jump| of consecutive reads beyond the model (ms), a rolling window. */
  private readonly jumps: number[] = [];
  private strategyNow: FollowerStrategy = 'steer';
  private freezes = 0;
  /** Probes that passed without a stall since the last counted one (CLEAN_PROBES_AFTER_STALL). */
  private cleanProbes = 0;
  private droppedWrites = 0;
  /** Holds made (a seek-only player ahead, paused until the group caught up). */
  private holds = 0;

  // ---- the current steady stretch (reset at every discontinuity) ----
  /** Model position: integrates the rate read back since the stretch began. */
  private model: { pos: number; atMs: number; rate: number } | null = null;
  private reads: Read[] = [];
  /** Last value read, frozen or not (a frozen read equals it exactly). */
  private lastRead: number | null = null;
  /** Our last rate write in steady play, and whether it has been retried. */
  private lastWriteMs = Number.NEGATIVE_INFINITY;
  private retried = false;
  /** Reads after this time measure the effective speed. */
  private verifyFromMs = Number.NEGATIVE_INFINITY;
  private frozenSinceMs: number | null = null;
  private freezeCounted = false;
  /** The reads froze after our last rate write (the jumps that follow are the stall's). */
  private frozeAfterWrite = false;
  /** The residual (read − model) when we last wrote the rate, to see the time a stall loses. */
  private writeResid: number | null = null;
  /** Most time lost since the last rate write (s), for the stall log ('none' entries). */
  private writeLossS = 0;
  /** A stall was seen and steering still holds: write the rate again to confirm (a probe). */
  private probeDue = false;
  /** Our last rate write was such a probe. */
  private probeWrite = false;
  /** A due probe is given up STALL_PROBE_GIVE_UP_MS after this: the suspect write, or the resync after it. */
  private probeWaitFromMs = Number.NEGATIVE_INFINITY;
  /** The last steady tick, and the longest gap between steady ticks since our last rate write. */
  private lastTickMs = Number.NEGATIVE_INFINITY;
  private maxTickGapSinceWriteMs = 0;
  /** |settled error| (s, at 1x) of the last seek-only starts: how well a resync lands here. */
  private readonly startMisses: number[] = [];
  /** First read of the current steady stretch (the clock ran from about then). */
  private runningSinceMs = Number.POSITIVE_INFINITY;
  private offTicks = 0;
  private readonly stallLog: StallLogEntry[] = [];
  /** This player played on through a pause() issued with a seek: it pauses a tick before. */
  private pauseFirst = false;
  /** A noisy player's play latency is learned from the filtered error, not the first read. */
  private pendingLatency: StartFacts | null = null;
  /** A seek-only player's play latency is learned from the errors a little after the start. */
  private pendingSettled:
    | (StartFacts & {
        startMs: number;
        errs: number[];
        /** Errors beyond SEEK_ONLY_STALL_S read since the start (a steady one teaches L). */
        bigErrs: number[];
        /** This start was already a refine (SEEK_ONLY_REFINE_S): no other one after it. */
        refine: boolean;
      })
    | null = null;
  /** The last start settled beyond SEEK_ONLY_REFINE_S: resync once more if still that far off. */
  private refineDue = false;
  /** The resync under way is that refine. */
  private refining = false;
  /** When the current group state (revision, rate, play/pause) reached us. */
  private commandAtMs = Number.NEGATIVE_INFINITY;

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

  /** Steering, or seek-only correction once rate writes proved to freeze the clock. */
  get strategy(): FollowerStrategy {
    return this.strategyNow;
  }

  /** Seed what an earlier page learned about this browser (a rate write stalls it: seek-only). */
  set strategy(strategy: FollowerStrategy) {
    if (strategy === 'steer' || strategy === 'seek-only') this.strategyNow = strategy;
  }

  /** Typical |jump| (ms) between consecutive reads beyond the rate's motion (0: exact reads). */
  get readNoiseMs(): number {
    return this.jumps.length >= READ_NOISE_MIN_SAMPLES ? median(this.jumps) : 0;
  }

  /** Rate writes the element proved to have dropped (effective speed ≠ playbackRate). */
  get droppedRateWrites(): number {
    return this.droppedWrites;
  }

  /** Holds made so far (debugging aid). */
  get holdCount(): number {
    return this.holds;
  }

  /** The last stalls seen after rate writes and what was made of them, oldest first. */
  get stalls(): readonly StallLogEntry[] {
    return this.stallLog;
  }

  /** Forget the player's state (new media element or source); learned latencies stay. */
  reset(): void {
    this.phaseNow = 'idle';
    this.plan = null;
    this.last = null;
    this.steering = false;
    this.pausedTarget = null;
    this.restartStretch(Number.NEGATIVE_INFINITY);
  }

  /** A discontinuity (seek, pause, resync, freeze): the reads before it say nothing now. */
  private restartStretch(nowMs: number): void {
    this.model = null;
    this.reads = [];
    this.lastRead = null;
    this.frozenSinceMs = null;
    this.retried = false;
    this.offTicks = 0;
    this.writeResid = null;
    this.runningSinceMs = Number.POSITIVE_INFINITY;
    this.verifyFromMs = nowMs + RATE_VERIFY_SETTLE_MS;
  }

  private logStall(verdict: StallVerdict, how: StallLogEntry['how']): void {
    pushBounded(
      this.stallLog,
      {
        writeAtMs: this.lastWriteMs,
        how,
        verdict,
        tickGapMs: this.maxTickGapSinceWriteMs,
        probe: this.probeWrite,
        readNoiseMs: this.readNoiseMs,
        lossMs: this.writeLossS * 1000,
      },
      STALL_LOG_SIZE,
    );
  }

  /** Our last rate write stalled the clock: count it (once per write), and go seek-only or probe. */
  private countStall(how: 'frozen' | 'lost'): void {
    if (this.freezeCounted) return;
    this.freezeCounted = true;
    const verdict = (v: StallVerdict): void => this.logStall(v, how);
    // Not blamed on the write when our own ticks came late (the page, so maybe the media,
    // starved of CPU); nor when the clock had only just started (a loaded machine's start-up
    // loses time by itself), unless the write was a probe: then it is only a suspicion, and
    // the probe (made once the clock runs steadily) decides.
    if (this.maxTickGapSinceWriteMs > STALL_MAX_TICK_GAP_MS) {
      // Inconclusive, so put rate writes to the test again once the clock runs steadily (a
      // probe whose stall came with a starved page was dropped, and a fresh WebKit steered on
      // for 5 s).
      if (this.strategyNow === 'steer') this.probeDue = true;
      return verdict('page-starved');
    }
    if (!this.probeWrite && this.lastWriteMs - this.runningSinceMs < STALL_MIN_RUN_MS) {
      if (this.strategyNow === 'steer') this.probeDue = true;
      return verdict('early');
    }
    verdict('counted');
    this.cleanProbes = 0;
    if (++this.freezes >= FREEZES_TO_STOP_STEERING) this.stopSteering();
    else this.probeDue = true;
  }

  /** Rate writes stall this player's clock: correct by timed seeks only from now on. */
  private stopSteering(): void {
    this.strategyNow = 'seek-only';
    this.probeDue = false;
    // What L learned while steering came from first reads, which lag on such a player:
    // the first settled error after the next start replaces it whole.
    this.latencySamples = 0;
  }

  /**
   * The reads stopped within FREEZE_AFTER_WRITE_MS of our last rate write (a freeze it caused)
   * and have stood still for STALL_DECISIVE_FREEZE_MS, with data and with our ticks on time: no
   * steering can be worth that.
   */
  private decisiveFreeze(input: FollowerInput): boolean {
    const since = this.frozenSinceMs;
    return (
      this.strategyNow === 'steer' &&
      since !== null &&
      since >= this.lastWriteMs &&
      since <= this.lastWriteMs + FREEZE_AFTER_WRITE_MS &&
      input.nowMs - since >= STALL_DECISIVE_FREEZE_MS &&
      input.buffering !== true &&
      this.maxTickGapSinceWriteMs <= STALL_MAX_TICK_GAP_MS
    );
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
    const frame = input.presentedFrame;
    const fresh =
      frame !== undefined &&
      !input.paused &&
      Number.isFinite(frame.mediaTime) &&
      Number.isFinite(frame.atMs) &&
      nowMs - frame.atMs >= 0 &&
      nowMs - frame.atMs < FRAME_MAX_AGE_MS;
    const read = fresh
      ? frame.mediaTime + ((nowMs - frame.atMs) / 1000) * playbackRate
      : currentTime;
    const ct = Math.max(0, read); // some players report -0 or tiny negatives after load
    const changed =
      this.last === null ||
      this.last.rev !== rev ||
      this.last.rate !== g ||
      this.last.playing !== input.groupPlaying;
    this.last = { rev, rate: g, playing: input.groupPlaying };

    if (!input.groupPlaying) return this.followPause(input, expected, ct, changed);
    this.pausedTarget = null;
    if (changed || this.phaseNow === 'idle' || this.phaseNow === 'paused') {
      // A new group state: its start is a first one (a refine under way is dropped).
      this.refineDue = false;
      this.refining = false;
      if (changed) this.commandAtMs = nowMs;
      return this.resync(input, expected);
    }
    const err = ct - expected;
    if (this.phaseNow === 'resync') return this.followResync(input, err, ct, expected);
    return this.steer(input, err, ct, expected);
  }

  private followPause(
    input: FollowerInput,
    expected: number,
    ct: number,
    changed: boolean,
  ): FollowerAction {
    if (this.phaseNow !== 'paused') this.restartStretch(input.nowMs);
    this.phaseNow = 'paused';
    this.plan = null;
    this.steering = false;
    this.pendingLatency = null;
    this.pendingSettled = null;
    this.refineDue = false;
    this.refining = false;
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
      // Never a rate write and a seek in one tick: the rate now, the seek on the next tick.
      if (input.playbackRate !== input.groupRate) return { kind: 'rate', rate: input.groupRate };
      this.pausedTarget = expected;
      this.pausedSettled = null;
      return { kind: 'seek', position: expected, rate: input.groupRate, playAtLocalMs: null };
    }
    return input.paused ? NONE : { kind: 'pause' };
  }

  private resync(input: FollowerInput, expected: number): FollowerAction {
    const { nowMs, groupRate: g } = input;
    if (input.playbackRate !== g) {
      // The rate first; the seek on the next tick (plan === null re-plans it).
      this.beginResync(nowMs, null);
      return { kind: 'rate', rate: g };
    }
    if ((this.pauseFirst || this.strategyNow === 'seek-only') && !input.paused) {
      // WebKit does not hold a seek issued with the pause() in the same task (the element was
      // found playing 226-269 ms past the target when the timed play() came): on a player that
      // showed it, or that stalls on rate writes (WebKit), pause first, seek on the next tick.
      this.beginResync(nowMs, null);
      return { kind: 'pause' };
    }
    const marginMs = Math.max(
      this.tuning.seekMarginMs,
      this.seekMs + this.latencyMs + SEEK_DEADLINE_GUARD_MS,
    );
    const position = expected + (marginMs / 1000) * g;
    // expected(t) = expected + g·(t − now): it reaches position − L·g at now + margin − L.
    const playAtMs = nowMs + marginMs - this.latencyMs;
    this.beginResync(nowMs, {
      issuedAtMs: nowMs,
      playAtMs,
      seekDoneAtMs: null,
      seekedPosition: position,
      lateMs: 0,
    });
    return { kind: 'seek', position, rate: g, playAtLocalMs: playAtMs };
  }

  /** A resync or hold starts: the steady stretch and what it was learning end here. */
  private beginResync(nowMs: number, plan: ResyncPlan | null): void {
    this.restartStretch(nowMs);
    this.pendingLatency = null;
    this.pendingSettled = null;
    this.phaseNow = 'resync';
    this.steering = false;
    this.plan = plan;
    // No steady tick during a resync: the gap it leaves is not a starved page.
    this.lastTickMs = Number.NEGATIVE_INFINITY;
  }

  private followResync(
    input: FollowerInput,
    err: number,
    ct: number,
    expected: number,
  ): FollowerAction {
    const plan = this.plan;
    const { nowMs, groupRate: g } = input;
    if (plan === null) return this.resync(input, expected);
    if (input.seeking) {
      if (nowMs < plan.playAtMs - SEEK_DEADLINE_GUARD_MS) return NONE;
      // The seek will not finish before play(): learn that seeks are slower, plan again.
      this.seekMs = Math.max(this.seekMs, nowMs - plan.issuedAtMs + SEEK_DEADLINE_GUARD_MS);
      return this.resync(input, expected);
    }
    if (!input.paused && nowMs < plan.playAtMs) {
      // Playing before our play(): the pause() issued with the seek did not hold (WebKit, found
      // 160-270 ms past the target). From now on this player pauses a tick before it seeks.
      this.pauseFirst = true;
      return this.resync(input, expected);
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
      return late ? this.resync(input, expected) : NONE;
    }
    // The clock runs: what is left is how wrong L was (ahead → L too large).
    const start: StartFacts = {
      g,
      early: plan.seekDoneAtMs <= plan.playAtMs && nowMs >= plan.playAtMs,
      lateMs: plan.lateMs,
    };
    this.phaseNow = 'steady';
    // A probe still due is made once this clock runs steadily: its wait starts now.
    this.probeWaitFromMs = nowMs;
    this.holdUntilMs = plan.issuedAtMs + this.tuning.rateHoldAfterSeekMs;
    this.plan = null;
    this.restartStretch(nowMs);
    if (this.noisy()) {
      // One read is ±20 ms off: learn L from the filtered error a few reads later.
      this.pendingLatency = start;
    } else if (this.strategyNow === 'seek-only') {
      // WebKit's first reads after the start lag: learn L from the settled error.
      this.residualMs = err * 1000;
      this.pendingSettled = {
        ...start,
        startMs: nowMs,
        errs: [],
        bigErrs: [],
        refine: this.refining,
      };
      this.refining = false;
    } else {
      this.learnLatency(err, start);
    }
    return this.steer(input, err, ct, expected);
  }

  /** The timed play() of the resync under way was called `lateMs` after its moment (a late timer). */
  playCalledLate(lateMs: number): void {
    if (this.plan !== null && Number.isFinite(lateMs)) this.plan.lateMs = Math.max(0, lateMs);
  }

  private learnLatency(err: number, { g, early, lateMs }: StartFacts): void {
    this.residualMs = err * 1000;
    // A play() called late started the clock that much late: that part is not the player's
    // latency. Far too late (a starved page), the start says nothing that can be trusted.
    if (!early || lateMs > PLAY_LATE_LEARN_MAX_MS) return;
    const stepMs = clamp(
      (-err / g) * 1000 - lateMs,
      -PLAY_LATENCY_MAX_STEP_MS,
      PLAY_LATENCY_MAX_STEP_MS,
    );
    const gain = Math.max(PLAY_LATENCY_GAIN, 1 / (this.latencySamples + 1));
    this.latencySamples++;
    this.latencyMs = clamp(
      this.latencyMs + gain * stepMs,
      PLAY_LATENCY_MIN_MS,
      PLAY_LATENCY_MAX_MS,
    );
  }

  private noisy(): boolean {
    return this.readNoiseMs > NOISY_READ_MS;
  }

  /**
   * Records one steady read. Returns false when the read is frozen (equal to the previous one
   * while playing), which says nothing about the clock.
   */
  private observe(nowMs: number, ct: number, rate: number): boolean {
    const frozen = this.lastRead !== null && ct === this.lastRead;
    this.lastRead = ct;
    if (frozen) {
      this.frozenSinceMs ??= nowMs;
      return false;
    }
    if (this.frozenSinceMs !== null) {
      // The clock moves again: measure the speed only from here on.
      this.frozenSinceMs = null;
      this.verifyFromMs = Math.max(this.verifyFromMs, nowMs);
    }
    const m = this.model;
    if (m === null) {
      this.model = { pos: ct, atMs: nowMs, rate };
      this.runningSinceMs = nowMs;
    } else {
      m.pos += ((nowMs - m.atMs) / 1000) * m.rate;
      m.atMs = nowMs;
      m.rate = rate;
    }
    const model = this.model?.pos ?? ct;
    const resid = ct - model;
    const prev = this.reads[this.reads.length - 1];
    // Reads right after a stall our write caused measure the stall, not the read noise (one
    // WebKit stall put the noise at 9.6 ms and the follower took WebKit for a noisy player).
    // Frozen reads only: noisy reads (Firefox) can look like time lost, never like a freeze.
    const afterStall = this.frozeAfterWrite && nowMs - this.lastWriteMs <= FREEZE_AFTER_WRITE_MS;
    // Nor are the first reads after the clock (re)started: WebKit's run up to ~85 ms ahead and
    // snap back (the noise read 15 ms after one start, and WebKit passed for a noisy player).
    const starting = nowMs - this.runningSinceMs < SETTLED_LEARN_FROM_MS;
    if (prev !== undefined && !afterStall && !starting) {
      // A clock that runs at another speed than the rate read back (a dropped write) drifts
      // off the model by the same step on every read: a drift, not noise. Noise changes its
      // step from read to read.
      const step = resid - prev.resid;
      const before = this.reads[this.reads.length - 2];
      const drift = before === undefined ? step : step - (prev.resid - before.resid);
      this.jumps.push(Math.min(Math.abs(step), Math.abs(drift)) * 1000);
      if (this.jumps.length > READ_NOISE_SAMPLES) this.jumps.shift();
    }
    this.reads.push({ t: nowMs, ct, resid });
    while (this.reads.length > 0 && this.reads[0].t < nowMs - READ_HISTORY_MS) this.reads.shift();
    return true;
  }

  /** Position now from the reads of the last window: mean residual + model. */
  private filtered(nowMs: number): { pos: number; sigmaS: number } | null {
    const from = nowMs - this.tuning.filterWindowMs;
    const win = this.reads.filter((r) => r.t >= from);
    if (win.length < FILTER_MIN_SAMPLES || this.model === null) return null;
    const mean = win.reduce((a, r) => a + r.resid, 0) / win.length;
    return { pos: this.model.pos + mean, sigmaS: this.readNoiseMs / 1000 / Math.sqrt(win.length) };
  }

  /** Effective speed vs playbackRate: 'ok', 'unknown' (not enough reads) or 'wrong'. */
  private verifySpeed(
    nowMs: number,
    playbackRate: number,
    noisy: boolean,
  ): 'ok' | 'unknown' | 'wrong' {
    const reads = this.reads.filter((r) => r.t >= this.verifyFromMs);
    const span = reads.length > 0 ? nowMs - reads[0].t : 0;
    if (span < (noisy ? RATE_VERIFY_SPAN_NOISY_MS : RATE_VERIFY_SPAN_MS)) return 'unknown';
    const speed = slope(reads);
    if (speed === null) return 'unknown';
    const tol = noisy ? RATE_VERIFY_TOLERANCE_NOISY : RATE_VERIFY_TOLERANCE;
    return Math.abs(speed * 1000 - playbackRate) > tol * playbackRate ? 'wrong' : 'ok';
  }

  private rateWrite(nowMs: number, rate: number, probe = false): FollowerAction {
    // The last write's window passed without a stall but lost at least half of what counts as
    // one: logged with what it lost (a near miss; debugging aid).
    if (
      !this.freezeCounted &&
      this.strategyNow === 'steer' &&
      this.writeLossS >= STALL_MIN_LOSS_MS / 2000
    )
      this.logStall('none', 'lost');
    this.writeLossS = 0;
    this.lastWriteMs = nowMs;
    this.probeWaitFromMs = nowMs;
    this.probeWrite = probe;
    this.freezeCounted = false;
    this.frozeAfterWrite = false;
    this.probeDue = false;
    this.maxTickGapSinceWriteMs = 0;
    this.writeResid = this.reads[this.reads.length - 1]?.resid ?? null;
    this.verifyFromMs = nowMs + RATE_VERIFY_SETTLE_MS;
    return { kind: 'rate', rate };
  }

  private steer(
    input: FollowerInput,
    rawErr: number,
    ct: number,
    expected: number,
  ): FollowerAction {
    const { nowMs, groupRate: g, playbackRate } = input;
    const t = this.tuning;
    if (input.paused) return this.resync(input, expected);
    if (input.seeking) {
      // Someone else seeks: the clock stays frozen until up to 225 ms after; don't steer on that.
      this.holdUntilMs = nowMs + t.rateHoldAfterSeekMs;
      this.restartStretch(nowMs);
      return NONE;
    }
    if (this.lastTickMs >= this.lastWriteMs)
      this.maxTickGapSinceWriteMs = Math.max(this.maxTickGapSinceWriteMs, nowMs - this.lastTickMs);
    this.lastTickMs = nowMs;
    if (!this.observe(nowMs, ct, playbackRate)) {
      const sinceWrite = nowMs - this.lastWriteMs;
      if (this.decisiveFreeze(input)) {
        this.freezeCounted = true;
        this.logStall('decisive', 'frozen');
        this.stopSteering();
        return this.resync(input, expected);
      }
      if (sinceWrite <= FREEZE_AFTER_WRITE_MS) {
        // Our rate write froze the reads (WebKit): they say nothing until the clock moves,
        // not even a huge error (at 4x a 300 ms freeze reads 1.2 s behind).
        // A buffering element (readyState < HAVE_FUTURE_DATA) stalls for want of data, not
        // because of the write: that says nothing about rate writes.
        this.frozeAfterWrite = true;
        if (input.buffering !== true) this.countStall('frozen');
        return NONE;
      }
      if (this.freezeCounted && sinceWrite <= 2 * FREEZE_AFTER_WRITE_MS) return NONE;
    } else if (this.writeResid !== null && nowMs - this.lastWriteMs <= WRITE_AUDIT_MS) {
      // Time lost since the write, against the rates read back.
      const lostS = this.writeResid - (this.reads[this.reads.length - 1]?.resid ?? this.writeResid);
      this.writeLossS = Math.max(this.writeLossS, lostS);
      // A stall too short to freeze two tick reads still shows as time lost since the write.
      if (
        nowMs - this.lastWriteMs <= STALL_WINDOW_MS &&
        input.buffering !== true &&
        !this.noisy() &&
        lostS > (STALL_MIN_LOSS_MS / 1000) * Math.max(1, g)
      )
        this.countStall('lost');
    }
    if (Math.abs(rawErr) > t.resyncErrorS) return this.resync(input, expected);
    const noisy = this.noisy();
    let err = rawErr;
    let sigmaS = 0;
    if (noisy) {
      const f = this.filtered(nowMs);
      if (f === null) return NONE; // too few reads yet to tell the error from the noise
      err = f.pos - expected;
      sigmaS = f.sigmaS;
      if (this.pendingLatency !== null) {
        this.learnLatency(err, this.pendingLatency);
        this.pendingLatency = null;
      }
    }
    switch (this.verifySpeed(nowMs, playbackRate, noisy)) {
      case 'wrong':
        // The element reads back a rate its clock does not run at: a dropped write.
        this.droppedWrites++;
        if (this.retried || !(playbackRate > 0)) return this.resync(input, expected);
        this.retried = true;
        return this.rateWrite(nowMs, playbackRate);
      case 'ok':
        this.retried = false;
        break;
      case 'unknown':
        break;
    }
    const settled = this.pendingSettled;
    if (settled !== null) {
      const since = nowMs - settled.startMs;
      if (since >= SETTLED_LEARN_FROM_MS) settled.errs.push(err);
      if (since >= SETTLED_LEARN_AT_MS) {
        this.pendingSettled = null;
        if (settled.errs.length >= 3) {
          const e = median(settled.errs);
          this.learnLatency(e, settled);
          // How far a start lands off (on the media clock at 1x), for the seek-only band.
          this.startMisses.push(Math.abs(e) / Math.max(1, settled.g));
          if (this.startMisses.length > SEEK_ONLY_BAND_SAMPLES) this.startMisses.shift();
          // The median of the settled reads was off beyond the band: that is the confirmation
          // already (a resync now, not three ticks later, if this read is off too).
          if (Math.abs(e) > this.seekOnlyBand(g)) this.offTicks = SEEK_ONLY_CONFIRM_TICKS - 1;
          else
            this.refineDue =
              !settled.refine &&
              Math.abs(e) > this.refineBand(g) &&
              // Ahead, a hold mends it at the cost of the error itself: whenever it settles.
              (this.holdWaitMs(e, g) !== null ||
                nowMs - this.commandAtMs <= this.tuning.seekOnlyRefineWithinMs);
        }
      }
    }
    if (this.strategyNow === 'seek-only') {
      // No new resync before the last one's latency is learned (it would repeat the same
      // error), unless a stall threw the clock off far beyond what a latency explains.
      const stalled = Math.abs(err) > SEEK_ONLY_STALL_S * Math.max(1, g);
      const pending = this.pendingSettled;
      // WebKit's first reads after a start run ahead of its clock (up to ~85 ms, for 100-200 ms):
      // they are not the clock yet, far off or not.
      if (pending !== null) {
        if (nowMs - pending.startMs < SETTLED_LEARN_FROM_MS || !stalled) return NONE;
        // Still far off once the reads have settled: a steady offset is how wrong L was (learn
        // it, then resync); an error still moving is a stall (resync without learning).
        pending.bigErrs.push(err);
        const n = pending.bigErrs.length;
        const steady =
          n >= 2 &&
          Math.abs(pending.bigErrs[n - 1] - pending.bigErrs[n - 2]) <
            (START_OFFSET_STEADY_MS / 1000) * Math.max(1, g);
        if (!steady && n < START_OFFSET_TICKS) return NONE;
        if (steady) this.learnLatency(err, pending);
        this.pendingSettled = null;
      }
      return this.seekOnly(input, err, expected);
    }
    let target = g;
    if (nowMs >= this.holdUntilMs) {
      const abs = Math.abs(err);
      const start = Math.max(t.steerStartS, NOISY_START_SIGMAS * sigmaS);
      const stop = Math.max(t.steerStopS, NOISY_STOP_SIGMAS * sigmaS);
      if (!this.steering && abs > start) this.steering = true;
      else if (this.steering && abs < stop) this.steering = false;
      if (this.steering) {
        const dev = t.maxRateDeviation;
        const k = Math.min(noisy ? NOISY_STEER_GAIN : t.steerGain, t.maxLoopGain / g);
        target = clamp(g * (1 - k * err), g * (1 - dev), g * (1 + dev));
      }
    }
    // A probe's verdict is awaited before the next write (a steering write 50 ms after a probe
    // took its stall, and was not blamed: a fresh WebKit steered on for 3 s more).
    if (this.probeWrite && !this.freezeCounted) {
      if (nowMs - this.lastWriteMs <= STALL_PROBE_VERDICT_MS) return NONE;
      // The probe passed clean. After a counted stall, put writes to the test again (WebKit
      // does not stall on every write): a few clean probes in a row, then steering as before.
      this.probeWrite = false;
      if (this.freezes > 0 && ++this.cleanProbes < CLEAN_PROBES_AFTER_STALL) this.probeDue = true;
    }
    if (noisy && nowMs - this.lastWriteMs < t.noisyRateWriteIntervalMs) return NONE;
    const minStep = noisy ? NOISY_RATE_WRITE_MIN_STEP : RATE_WRITE_MIN_STEP;
    const needsWrite =
      target === g ? playbackRate !== g : Math.abs(target - playbackRate) > g * minStep;
    // A probe not made within STALL_PROBE_GIVE_UP_MS of the suspect write or of a resync after it
    // (the clock never ran steadily again), or on noisy reads, is given up: steering goes on as
    // before. Not for noise when the suspect write froze the reads (noise never repeats a read
    // exactly; WebKit's reads jumped ~18 ms about after its first stall, and the probe was
    // dropped for that).
    const noisyDrop = noisy && !this.frozeAfterWrite;
    if (this.probeDue && (noisyDrop || nowMs - this.probeWaitFromMs > STALL_PROBE_GIVE_UP_MS)) {
      this.probeDue = false;
      this.logStall(noisyDrop ? 'probe-dropped-noisy' : 'probe-dropped-late', 'frozen');
    }
    if (this.probeDue) {
      // No writes while a stall may still run (each would stall the clock again)...
      if (!this.clockRunsAgain(g)) return NONE;
      // ...then put rate writes to the test: stalls again, and this player goes seek-only.
      if (needsWrite) return this.rateWrite(nowMs, target, true);
      // Steering wants the rate it has (at the clamp, or exactly g): a small step, toward the
      // error's side at g, else toward g (writing g from 1.05 with 123 ms to catch up lost time).
      const step = g * STALL_PROBE_RATE_STEP;
      if (playbackRate === g) return this.rateWrite(nowMs, err > 0 ? g - step : g + step, true);
      return this.rateWrite(nowMs, playbackRate > g ? playbackRate - step : playbackRate + step, true);
    }
    return needsWrite ? this.rateWrite(nowMs, target) : NONE;
  }

  /** The last two reads moved with the rates read back: a stall (if any) is over. */
  private clockRunsAgain(g: number): boolean {
    const n = this.reads.length;
    if (n < 3) return false;
    // Reads that jitter by themselves are steady within twice their noise.
    const tol = (Math.max(STALL_PROBE_STEADY_MS, 2 * this.readNoiseMs) / 1000) * Math.max(1, g);
    return (
      Math.abs(this.reads[n - 1].resid - this.reads[n - 2].resid) < tol &&
      Math.abs(this.reads[n - 2].resid - this.reads[n - 3].resid) < tol
    );
  }

  /** The seek-only dead band (s, media clock) at group rate g. */
  private seekOnlyBand(g: number): number {
    const typicalMiss =
      this.startMisses.length >= SEEK_ONLY_BAND_SAMPLES_MIN
        ? SEEK_ONLY_BAND_MISS_FACTOR * median(this.startMisses) * Math.max(1, g)
        : 0;
    return clamp(typicalMiss, this.tuning.seekOnlyBandS, SEEK_ONLY_BAND_MAX_S);
  }

  /** How far off (s, media clock) a start just after a command is started once more, at group rate g. */
  private refineBand(g: number): number {
    return SEEK_ONLY_REFINE_S * Math.max(1, g);
  }

  /** A player whose rate writes stall its clock: rate = group rate, a timed seek when off. */
  private seekOnly(input: FollowerInput, err: number, expected: number): FollowerAction {
    this.steering = false;
    // Far off (a stall): resync at once; it sets the rate a tick before its seek, so there is
    // no separate write (and stall) first.
    if (Math.abs(err) > SEEK_ONLY_STALL_S * Math.max(1, input.groupRate))
      return this.resync(input, expected);
    if (input.playbackRate !== input.groupRate) return this.rateWrite(input.nowMs, input.groupRate);
    if (this.refineDue) {
      // The start just settled this far off, and L has learned by how much: once more, now.
      this.refineDue = false;
      if (Math.abs(err) > this.refineBand(input.groupRate)) {
        this.refining = true;
        return this.holdOrResync(input, err, expected);
      }
    }
    // A timed play() lands within ~±12 ms of wall time: g times that on the media clock. Where
    // starts land further off than the band (a loaded machine), a resync would only draw again
    // (and pause to do it): the band widens to what starts achieve, up to SEEK_ONLY_BAND_MAX_S
    // (both on the media clock: the error the viewer sees).
    const off = Math.abs(err) > this.seekOnlyBand(input.groupRate);
    this.offTicks = off ? this.offTicks + 1 : 0;
    return this.offTicks >= SEEK_ONLY_CONFIRM_TICKS ? this.holdOrResync(input, err, expected) : NONE;
  }

  /**
   * How long a seek-only player `err` s ahead must wait paused for the group to reach it, less
   * the play latency (ms); null where a hold does not apply (behind, too far ahead, or L larger
   * than the wait: HOLD_MIN_WAIT_MS, HOLD_MAX_S).
   */
  private holdWaitMs(err: number, g: number): number | null {
    if (this.strategyNow !== 'seek-only' || err <= 0 || err > HOLD_MAX_S * Math.max(1, g))
      return null;
    const waitMs = (err / g) * 1000 - this.latencyMs;
    return waitMs >= HOLD_MIN_WAIT_MS ? waitMs : null;
  }

  /** Ahead: a hold (pause, play when the group is here); otherwise a resync. */
  private holdOrResync(input: FollowerInput, err: number, expected: number): FollowerAction {
    const { nowMs, groupRate: g } = input;
    const waitMs = this.holdWaitMs(err, g);
    if (waitMs === null || input.paused || input.seeking || input.playbackRate !== g)
      return this.resync(input, expected);
    const playAtMs = nowMs + waitMs;
    // A start like a resync's, with no seek: its clock is where it stands now.
    this.beginResync(nowMs, {
      issuedAtMs: nowMs,
      playAtMs,
      seekDoneAtMs: nowMs,
      seekedPosition: input.currentTime,
      lateMs: 0,
    });
    this.holds++;
    return { kind: 'hold', playAtLocalMs: playAtMs };
  }
}
