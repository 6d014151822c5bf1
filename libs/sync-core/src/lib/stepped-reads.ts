/**
 * Some engines update `currentTime` in steps instead of continuously: Firefox (measured here,
 * ESR 153 headless) holds the value for ~40 ms and then jumps ~40 ms ahead, 25 times a
 * second. A read taken at a random moment is then 0-40 ms behind the element's clock (the
 * value is fresh when it changes: the presented frames agree with the step's top, not its
 * middle), so averaging raw reads keeps the element ~20 ms ahead of the group.
 *
 * SteppedReads watches the value at every chance the caller has (each animation frame and each
 * follower tick), notes when it changes (the midpoint of the last observation that showed the
 * old value and the first that shows the new one), learns the step period, and while the
 * element is stepped turns a read into "this value, fresh at that moment" — the follower's
 * `presentedFrame` input, which it extrapolates along the rate. Where every observation sees a
 * new value (Chromium, WebKit) it says nothing and raw reads are used, so a clock that stops
 * (a stall, WebKit's freeze after a rate write) still reads as stopped.
 *
 * Pure: the caller passes the times (ms, local monotonic clock).
 */
import { median } from './stats';

/** Observations kept to decide whether reads come in steps (a rolling window). */
export const STEP_OBSERVATIONS = 48;
/** Share of observations repeating the previous value (while it moves) that marks stepped reads. */
export const STEP_REPEAT_SHARE = 0.25;
/** Step intervals kept to learn the period (their mean), and needed before it is trusted. */
export const STEP_INTERVALS = 16;
export const STEP_MIN_INTERVALS = 6;
/** A change counts as a clock step (not a seek) when its jump is this close to interval·rate, relative. */
export const STEP_JUMP_TOLERANCE = 0.5;
/** A step period must be this many times the typical gap between observations (else every look sees a new value: continuous reads). */
export const STEP_MIN_GAPS = 1.8;
/** Shortest and longest step periods believed (ms). Longer "steps" are stalls or freezes. */
export const STEP_MIN_PERIOD_MS = 8;
export const STEP_MAX_PERIOD_MS = 150;
/** A value is extrapolated for at most this many periods after it appeared; later it is stale (a stall). */
export const STEP_MAX_AGE_PERIODS = 1.5;

export interface SteppedRead {
  /** The value read (s) ... */
  mediaTime: number;
  /** ... and the local time (ms) it was current at. */
  atMs: number;
}

export class SteppedReads {
  private value: number | null = null;
  /** When the current value appeared (estimated), and the last observation that showed it. */
  private changedAtMs = Number.NaN;
  private lastObservedMs = Number.NaN;
  /** 1 = the observation repeated the previous value, 0 = it changed. */
  private readonly repeats: number[] = [];
  private readonly intervals: number[] = [];
  /** Gaps (ms) between consecutive observations of a moving element. */
  private readonly gaps: number[] = [];

  /** Forget everything (a new source or element). */
  reset(): void {
    this.value = null;
    this.changedAtMs = Number.NaN;
    this.lastObservedMs = Number.NaN;
    this.repeats.length = 0;
    this.intervals.length = 0;
    this.gaps.length = 0;
  }

  /**
   * One look at the element: `moving` is true while it plays (not paused, not seeking).
   * Observations of a paused element reset the current step but keep what was learned.
   */
  observe(nowMs: number, value: number, rate: number, moving: boolean): void {
    if (!Number.isFinite(nowMs) || !Number.isFinite(value) || !Number.isFinite(rate)) return;
    if (nowMs === this.lastObservedMs && value === this.value) return; // the same look twice
    if (!moving || rate <= 0) {
      this.value = null;
      this.lastObservedMs = nowMs;
      return;
    }
    if (this.value === null) {
      this.value = value;
      this.changedAtMs = nowMs;
      this.lastObservedMs = nowMs;
      return;
    }
    const same = value === this.value;
    this.gaps.push(nowMs - this.lastObservedMs);
    if (this.gaps.length > STEP_OBSERVATIONS) this.gaps.shift();
    this.repeats.push(same ? 1 : 0);
    if (this.repeats.length > STEP_OBSERVATIONS) this.repeats.shift();
    if (same) {
      this.lastObservedMs = nowMs;
      return;
    }
    const changedAt = (this.lastObservedMs + nowMs) / 2;
    const interval = changedAt - this.changedAtMs;
    const jumpMs = ((value - this.value) / rate) * 1000;
    if (interval > 0 && Math.abs(jumpMs - interval) <= STEP_JUMP_TOLERANCE * interval) {
      this.intervals.push(interval);
      if (this.intervals.length > STEP_INTERVALS) this.intervals.shift();
    }
    this.value = value;
    this.changedAtMs = changedAt;
    this.lastObservedMs = nowMs;
  }

  /** The learned step period (ms) when reads come in steps, else null (continuous reads). */
  get periodMs(): number | null {
    if (this.repeats.length < STEP_OBSERVATIONS / 2 || this.intervals.length < STEP_MIN_INTERVALS)
      return null;
    const share = this.repeats.reduce((a, r) => a + r, 0) / this.repeats.length;
    if (share < STEP_REPEAT_SHARE) return null;
    // The mean, not the median: each interval is off by up to a look gap, but consecutive errors cancel.
    const period = this.intervals.reduce((a, x) => a + x, 0) / this.intervals.length;
    // Continuous reads change at every look: their typical interval is the look gap itself
    // (the median, so a few long freezes do not count as steps).
    if (median(this.intervals, 'upper') < STEP_MIN_GAPS * median(this.gaps, 'upper')) return null;
    return period >= STEP_MIN_PERIOD_MS && period <= STEP_MAX_PERIOD_MS ? period : null;
  }

  /**
   * `value` (just read at `nowMs`, after observe()) as "fresh at atMs" when reads are stepped
   * and the value is young enough; undefined means use the raw read.
   */
  read(nowMs: number, value: number): SteppedRead | undefined {
    const period = this.periodMs;
    if (period === null || value !== this.value) return undefined;
    const age = nowMs - this.changedAtMs;
    if (!(age >= 0) || age > STEP_MAX_AGE_PERIODS * period) return undefined;
    return { mediaTime: value, atMs: this.changedAtMs };
  }
}
