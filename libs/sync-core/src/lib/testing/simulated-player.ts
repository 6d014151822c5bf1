import { type DelayRange, type Rng, sampleDelay } from './prng';

/**
 * A <video> element that behaves like the measured Chromium: play() moves
 * the clock ~85 ms later, a seek while playing resumes ~150 ms after it was issued, a paused
 * seek reports `seeking` for ~77 ms, and playbackRate writes take effect ~85 ms later.
 * Time is explicit: every call takes the local time in ms, which must never go backwards.
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
}

export const CHROMIUM_PLAY_LATENCY: DelayRange = { min: 73, typical: 86, max: 96 };
export const CHROMIUM_SEEKED_DELAY: DelayRange = { min: 24, typical: 77, max: 174 };
export const CHROMIUM_SEEK_RESUME: DelayRange = { min: 111, typical: 150, max: 225 };
export const CHROMIUM_RATE_LATENCY: DelayRange = { min: 75, typical: 85, max: 95 };

export class SimulatedPlayer {
  private readonly rng: Rng;
  private readonly opts: Required<Omit<SimulatedPlayerOptions, 'rng' | 'initialTime'>>;
  private clockMs = 0;
  private pos: number;
  private running = false;
  private effectiveRate = 1;
  private nominalRate = 1;
  private isPaused = true;
  private startAtMs: number | null = null;
  private seekDoneAtMs: number | null = null;
  private pendingRates: Array<{ atMs: number; rate: number }> = [];
  /** Counts of calls, for assertions about how busy the controller keeps the element. */
  readonly calls = { play: 0, pause: 0, seek: 0, rate: 0 };

  constructor(options: SimulatedPlayerOptions) {
    this.rng = options.rng;
    this.opts = {
      playLatency: options.playLatency ?? CHROMIUM_PLAY_LATENCY,
      seekedDelay: options.seekedDelay ?? CHROMIUM_SEEKED_DELAY,
      seekResume: options.seekResume ?? CHROMIUM_SEEK_RESUME,
      rateLatency: options.rateLatency ?? CHROMIUM_RATE_LATENCY,
    };
    this.pos = Math.max(0, options.initialTime ?? 0);
  }

  currentTime(nowMs: number): number {
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
    // A play() during a seek starts once the seek is done.
    this.startAtMs =
      Math.max(nowMs, this.seekDoneAtMs ?? nowMs) + sampleDelay(this.rng, this.opts.playLatency);
  }

  pause(nowMs: number): void {
    this.advance(nowMs);
    this.calls.pause++;
    this.isPaused = true;
    this.running = false;
    this.startAtMs = null;
  }

  seek(nowMs: number, position: number): void {
    this.advance(nowMs);
    this.calls.seek++;
    this.pos = Math.max(0, position);
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
    const last = this.pendingRates[this.pendingRates.length - 1]?.atMs ?? nowMs;
    // Writes apply in order even when their latencies jitter.
    this.pendingRates.push({
      atMs: Math.max(last, nowMs + sampleDelay(this.rng, this.opts.rateLatency)),
      rate,
    });
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
      if (this.seekDoneAtMs !== null && this.seekDoneAtMs <= next) this.seekDoneAtMs = null;
      if (this.startAtMs !== null && this.startAtMs <= next) {
        if (this.seekDoneAtMs === null) {
          this.startAtMs = null;
          this.running = true;
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
    if (this.running) this.pos += ((tMs - this.clockMs) / 1000) * this.effectiveRate;
    this.clockMs = tMs;
  }
}
