import { type DelayRange, type Rng, sampleDelay } from './prng';

/**
 * A <video> element that behaves like the measured Chromium: play() moves
 * the clock ~85 ms later, a seek while playing resumes ~150 ms after it was issued, a paused
 * seek reports `seeking` for ~77 ms, and playbackRate writes take effect ~85 ms later.
 * The optional quirks model the other engines measured in issue 15 (FIREFOX_LIKE,
 * WEBKIT_LIKE below); with none set, no extra random draw is made, so Chromium runs are
 * unchanged. Time is explicit: every call takes the local time in ms, which must never go
 * backwards.
 */
export interface SimulatedPlayerOptions {
  rng: Rng;
  /** play() → the clock moves. Measured 73-96 ms, p50 86. */
  playLatency?: DelayRange;
  /** Setting currentTime → `seeking` false. Measured 24-174 ms, p50 77. */
  seekedDelay?: DelayRange;
  /** Seek while playing → playback really resumes. Measured 111-225 ms, p50 150. */
  seekResume?: DelayRange;
  /** playbackRate write → the clock runs at the new rate. Measured ~85 ms. */
  rateLatency?: DelayRange;
  initialTime?: number;
  /**
   * Firefox: each `currentTime` read while the clock runs is off the true (smooth) media time
   * by this many ms, with a random sign: reads jump ±10-30 ms between 100 ms samples.
   */
  readNoise?: DelayRange;
  /**
   * Firefox (measured, ESR 153): `currentTime` only changes every this many ms while the clock
   * runs; a read returns the true position at the last step (0-40 ms behind), fresh when it
   * changes.
   */
  readStepMs?: number;
  /**
   * WebKit: every playbackRate write that takes effect freezes `currentTime` reads at their
   * value for this long while the media keeps playing underneath (then the read jumps).
   */
  rateWriteFreeze?: DelayRange;
  /**
   * WebKit as measured with the real element (issue 15, 2nd pass): a rate write that takes
   * effect stops the clock itself for this long (reads freeze with it), then it resumes from
   * where it stopped: every write costs that much of the timeline.
   */
  rateWriteStall?: DelayRange;
  /**
   * WebKit does not stall on every write: which of the writes that would stall do (cycled, in
   * order of the writes made while the clock runs). Every one without it.
   */
  rateWriteStallPattern?: readonly boolean[];
  /** WebKit: for the first 100 ms after the clock starts, reads lag it by this many ms. */
  startReadLagMs?: number;
  /**
   * WebKit: a playbackRate write issued while seeking or less than this many ms after the
   * seek finished is silently dropped (`playbackRate` reads the new value, the clock keeps
   * the old one).
   */
  rateDropAfterSeekMs?: number;
  /**
   * WebKit: probability that a seek issued at the same instant as a playbackRate write lands
   * at twice its target (seen: 28.0 s for 14.0 s after back-to-back writes).
   */
  seekAfterRateDoubles?: number;
  /**
   * WebKit, fresh page: the element's first play() starts the clock this much later than the
   * ones after it (measured: a cold first start takes 10-22 ms, the next ones ~0-2 ms).
   */
  firstPlayExtraMs?: number;
}

/** The quirks a SimulatedPlayer can add to the Chromium behaviour. */
type Quirks = Pick<
  SimulatedPlayerOptions,
  | 'readNoise'
  | 'readStepMs'
  | 'rateWriteFreeze'
  | 'rateWriteStall'
  | 'rateWriteStallPattern'
  | 'startReadLagMs'
  | 'rateDropAfterSeekMs'
  | 'seekAfterRateDoubles'
  | 'firstPlayExtraMs'
>;

export const CHROMIUM_PLAY_LATENCY: DelayRange = { min: 73, typical: 86, max: 96 };
export const CHROMIUM_SEEKED_DELAY: DelayRange = { min: 24, typical: 77, max: 174 };
export const CHROMIUM_SEEK_RESUME: DelayRange = { min: 111, typical: 150, max: 225 };
export const CHROMIUM_RATE_LATENCY: DelayRange = { min: 75, typical: 85, max: 95 };

/**
 * Firefox ESR as measured (ESR 153 headless, issue 15): `currentTime` steps every ~40 ms (a
 * read is 0-40 ms behind the clock, the same value read again until the next step); otherwise Chromium-like.
 */
export const FIREFOX_LIKE: Omit<SimulatedPlayerOptions, 'rng'> = {
  readStepMs: 40,
};

/**
 * WebKitGTK as measured: play() moves the clock within ~20 ms (the follower learns 4-15 ms, far
 * below Chromium's 85 ms default, so a fresh follower starts ~70 ms ahead and steers at once),
 * every rate write stalls the clock 40-250 ms (reads stand still with it and it resumes from
 * there: the time is lost; the short stalls of a loaded machine often fall between two 50 ms
 * ticks, so no two reads are equal), writes are dropped during and ~300 ms after a seek, a seek
 * right after a rate write may land at double its target, and the first reads after a start
 * lag ~10 ms.
 */
export const WEBKIT_PLAY_LATENCY: DelayRange = { min: 2, typical: 8, max: 20 };
export const WEBKIT_LIKE: Omit<SimulatedPlayerOptions, 'rng'> = {
  playLatency: WEBKIT_PLAY_LATENCY,
  rateWriteStall: { min: 40, typical: 120, max: 250 },
  startReadLagMs: 10,
  rateDropAfterSeekMs: 300,
  seekAfterRateDoubles: 0.5,
};

export class SimulatedPlayer {
  private readonly rng: Rng;
  private readonly opts: Required<
    Omit<SimulatedPlayerOptions, 'rng' | 'initialTime' | keyof Quirks>
  >;
  private readonly quirks: Quirks;
  /** Read value held by a WebKit rate-write freeze, and until when. */
  private frozen: { value: number; untilMs: number } | null = null;
  /** The clock stands still until then (a WebKit rate-write stall). */
  private stallUntilMs: number | null = null;
  /** When the last seek finished (for dropped rate writes). */
  private lastSeekDoneMs = Number.NEGATIVE_INFINITY;
  private lastRateWriteMs = Number.NaN;
  /** Rate writes made while the clock ran (rateWriteStallPattern). */
  private runningWrites = 0;
  private clockMs = 0;
  private pos: number;
  private running = false;
  /** When the clock last started running (a stepped read is never older). */
  private runningSinceMs = 0;
  private stepRead: { index: number; since: number; value: number } | null = null;
  private effectiveRate = 1;
  private nominalRate = 1;
  private isPaused = true;
  /** A play() has been made (the first one is cold: firstPlayExtraMs). */
  private everStarted = false;
  private startAtMs: number | null = null;
  private seekDoneAtMs: number | null = null;
  private pendingRates: Array<{ atMs: number; rate: number }> = [];
  /** Counts of calls, for assertions about how busy the controller keeps the element. */
  readonly calls = { play: 0, pause: 0, seek: 0, rate: 0 };
  /** Quirks that fired: rate writes dropped, reads frozen, seeks landed at double. */
  readonly quirkCounts = { dropped: 0, frozen: 0, doubled: 0 };

  constructor(options: SimulatedPlayerOptions) {
    this.rng = options.rng;
    this.opts = {
      playLatency: options.playLatency ?? CHROMIUM_PLAY_LATENCY,
      seekedDelay: options.seekedDelay ?? CHROMIUM_SEEKED_DELAY,
      seekResume: options.seekResume ?? CHROMIUM_SEEK_RESUME,
      rateLatency: options.rateLatency ?? CHROMIUM_RATE_LATENCY,
    };
    this.quirks = {
      readNoise: options.readNoise,
      readStepMs: options.readStepMs,
      rateWriteFreeze: options.rateWriteFreeze,
      rateWriteStall: options.rateWriteStall,
      rateWriteStallPattern: options.rateWriteStallPattern,
      startReadLagMs: options.startReadLagMs,
      rateDropAfterSeekMs: options.rateDropAfterSeekMs,
      seekAfterRateDoubles: options.seekAfterRateDoubles,
      firstPlayExtraMs: options.firstPlayExtraMs,
    };
    this.pos = Math.max(0, options.initialTime ?? 0);
  }

  /** What a script reads from `currentTime` (with the engine's read quirks). */
  currentTime(nowMs: number): number {
    this.advance(nowMs);
    if (this.frozen !== null) {
      if (nowMs < this.frozen.untilMs) return this.frozen.value;
      this.frozen = null;
    }
    if (!this.running) return this.pos;
    let value = this.pos;
    const lag = this.quirks.startReadLagMs;
    if (lag !== undefined && nowMs - this.runningSinceMs < 100) value -= lag / 1000;
    const step = this.quirks.readStepMs;
    if (step !== undefined && step > 0) {
      // The value of the last step (steps on a fixed grid of local time), not older than the
      // moment the clock started running; the same number until the next step.
      const index = Math.floor(nowMs / step);
      const cached = this.stepRead;
      if (cached !== null && cached.index === index && cached.since === this.runningSinceMs) {
        value = cached.value;
      } else {
        const age = Math.min(nowMs - index * step, nowMs - this.runningSinceMs);
        value = this.pos - (Math.max(0, age) / 1000) * this.effectiveRate;
        this.stepRead = { index, since: this.runningSinceMs, value };
      }
    }
    const noise = this.quirks.readNoise;
    if (noise === undefined) return value;
    const sign = this.rng.next() < 0.5 ? -1 : 1;
    return Math.max(0, value + (sign * sampleDelay(this.rng, noise)) / 1000);
  }

  /** The true media time (tests only: what the viewer sees and hears). */
  truePosition(nowMs: number): number {
    this.advance(nowMs);
    return this.pos;
  }

  paused(nowMs: number): boolean {
    this.advance(nowMs);
    return this.isPaused;
  }

  seeking(nowMs: number): boolean {
    this.advance(nowMs);
    return this.seekDoneAtMs !== null;
  }

  /** The value a script reads back: the last one written, not the one in effect. */
  get playbackRate(): number {
    return this.nominalRate;
  }

  /** The rate the clock really runs at (tests only; a real element does not expose it). */
  get effectivePlaybackRate(): number {
    return this.effectiveRate;
  }

  play(nowMs: number): void {
    this.advance(nowMs);
    this.calls.play++;
    if (!this.isPaused) return;
    this.isPaused = false;
    const cold = this.everStarted ? 0 : (this.quirks.firstPlayExtraMs ?? 0);
    this.everStarted = true;
    // A play() during a seek starts once the seek is done.
    this.startAtMs =
      Math.max(nowMs, this.seekDoneAtMs ?? nowMs) +
      sampleDelay(this.rng, this.opts.playLatency) +
      cold;
  }

  pause(nowMs: number): void {
    this.advance(nowMs);
    this.calls.pause++;
    this.isPaused = true;
    this.running = false;
    this.startAtMs = null;
    this.frozen = null;
    this.stallUntilMs = null;
  }

  seek(nowMs: number, position: number): void {
    this.advance(nowMs);
    this.calls.seek++;
    this.frozen = null;
    this.stallUntilMs = null;
    const doubles = this.quirks.seekAfterRateDoubles;
    let target = position;
    if (doubles !== undefined && nowMs === this.lastRateWriteMs && this.rng.next() < doubles) {
      this.quirkCounts.doubled++;
      target = position * 2;
    }
    this.pos = Math.max(0, target);
    const doneAt = nowMs + sampleDelay(this.rng, this.opts.seekedDelay);
    this.seekDoneAtMs = doneAt;
    if (!this.isPaused) {
      this.running = false;
      this.startAtMs = Math.max(doneAt, nowMs + sampleDelay(this.rng, this.opts.seekResume));
    }
  }

  setPlaybackRate(nowMs: number, rate: number): void {
    this.advance(nowMs);
    this.calls.rate++;
    this.nominalRate = rate;
    this.lastRateWriteMs = nowMs;
    const dropAfter = this.quirks.rateDropAfterSeekMs;
    if (
      dropAfter !== undefined &&
      (this.seekDoneAtMs !== null || nowMs < this.lastSeekDoneMs + dropAfter)
    ) {
      this.quirkCounts.dropped++;
      return;
    }
    const stall = this.quirks.rateWriteStall;
    const pattern = this.quirks.rateWriteStallPattern;
    const stalls =
      pattern === undefined || pattern.length === 0 || pattern[this.runningWrites % pattern.length];
    if (this.running) this.runningWrites++;
    if (stall !== undefined && stalls && this.running && this.stallUntilMs === null) {
      this.quirkCounts.frozen++;
      this.stallUntilMs = nowMs + sampleDelay(this.rng, stall);
    }
    const freeze = this.quirks.rateWriteFreeze;
    if (freeze !== undefined && this.running) {
      this.quirkCounts.frozen++;
      const held = this.frozen !== null && nowMs < this.frozen.untilMs;
      const value = held && this.frozen !== null ? this.frozen.value : this.pos;
      this.frozen = { value, untilMs: nowMs + sampleDelay(this.rng, freeze) };
    }
    const last = this.pendingRates[this.pendingRates.length - 1]?.atMs ?? nowMs;
    // Writes apply in order even when their latencies jitter.
    this.pendingRates.push({
      atMs: Math.max(last, nowMs + sampleDelay(this.rng, this.opts.rateLatency)),
      rate,
    });
  }

  /**
   * The clock stands still for `forMs` from now, or until a stall already running ends if that
   * is later (the media starved of CPU along with the page).
   */
  stallClock(nowMs: number, forMs: number): void {
    this.advance(nowMs);
    if (!this.running) return;
    this.stallUntilMs = Math.max(this.stallUntilMs ?? nowMs, nowMs + forMs);
  }

  /** Integrates the clock up to `nowMs`, applying every pending event in time order. */
  private advance(nowMs: number): void {
    if (nowMs < this.clockMs) throw new Error(`time went backwards: ${nowMs} < ${this.clockMs}`);
    for (;;) {
      const next = Math.min(
        this.startAtMs ?? Infinity,
        this.seekDoneAtMs ?? Infinity,
        this.pendingRates[0]?.atMs ?? Infinity,
      );
      if (next > nowMs) break;
      this.runUntil(next);
      if (this.seekDoneAtMs !== null && this.seekDoneAtMs <= next) {
        this.lastSeekDoneMs = this.seekDoneAtMs;
        this.seekDoneAtMs = null;
      }
      if (this.startAtMs !== null && this.startAtMs <= next) {
        if (this.seekDoneAtMs === null) {
          this.startAtMs = null;
          this.running = true;
          this.runningSinceMs = next;
        } else {
          this.startAtMs = this.seekDoneAtMs; // cannot start mid-seek
        }
      }
      while (this.pendingRates.length > 0 && this.pendingRates[0].atMs <= next) {
        this.effectiveRate = this.pendingRates[0].rate;
        this.pendingRates.shift();
      }
    }
    this.runUntil(nowMs);
  }

  private runUntil(tMs: number): void {
    let from = this.clockMs;
    if (this.stallUntilMs !== null) {
      from = Math.min(tMs, Math.max(from, this.stallUntilMs));
      if (this.stallUntilMs <= tMs) this.stallUntilMs = null;
    }
    if (this.running) this.pos += ((tMs - from) / 1000) * this.effectiveRate;
    this.clockMs = tMs;
  }
}
