/** Tuning of the follower control law; every value comes from measurements of headless Chromium's <video> on a 2-core machine unless noted. */

/** Beyond 1 s off, steering at 5 % would take > 20 s; a ~0.5 s resync is the lesser evil. */
export const RESYNC_ERROR_S = 1;
/**
 * Floor of the paused-seek lead; the lead used is max(this, learned seek + L + guard), ~315-335 ms
 * on the measured Chromium, growing by itself where seeks are slower (unbuffered HLS).
 */
export const SEEK_MARGIN_MS = 300;
/** Initial play() latency: clock moves 73-96 ms (p50 86) after play() in Chromium. */
export const DEFAULT_PLAY_LATENCY_MS = 85;
/** Initial seek duration estimate: just above the slowest measured paused `seeked` (174 ms). */
export const DEFAULT_SEEK_LEAD_MS = 180;
/**
 * Lower bound of the learned play latency: play() cannot take effect before it is called. (A
 * floor below zero was tried for WebKitGTK, whose starts settled up to 10-13 ms ahead now and
 * then: its settled errors have both signs, and one start that read 50 ms ahead taught L = -50
 * and five starts in a row landed 49, 25, 17, 12 and 8 ms behind.)
 */
export const PLAY_LATENCY_MIN_MS = 0;
/**
 * A timed play() called up to this late (its timer fired late on a busy page) started the clock
 * that much late: L learns from the start with the lateness taken out. Later than this, the page
 * was starved and the start is not learned from. (Before, no start whose play() came more than
 * 15 ms late was learned from: a fresh WebKit page whose first timer fired 34 ms late kept
 * Chromium's default L = 85 where its starts take ~1 ms, and its next start landed 85 ms ahead.)
 */
export const PLAY_LATE_LEARN_MAX_MS = 100;
/** Upper bound of the learned play latency: ~6x the measured value means something else is wrong. */
export const PLAY_LATENCY_MAX_MS = 500;
/**
 * Floor of the weight given to one resync's residual. The first resyncs are averaged (real
 * hardware differs from the default), later ones enter an EMA smoothing ~±10 ms of jitter.
 */
export const PLAY_LATENCY_GAIN = 0.3;
/** Largest correction one resync may make to L, so a single odd start cannot wreck it. */
export const PLAY_LATENCY_MAX_STEP_MS = 100;
/** Time left before the planned play() at which a still-running seek makes us re-plan. */
export const SEEK_DEADLINE_GUARD_MS = 50;
/** If play() has not moved the clock this long after it should have, resync again. */
export const PLAY_START_TIMEOUT_MS = 1000;
/**
 * Proportional gain k (1/s) on exact reads: a 20 ms post-start residual is under 5 ms ~0.5 s
 * later (at 1.5 it took ~1 s, and the 1-2 s after each command made the steady p99 ~13 ms). The
 * loop delay (rate applied ~85 ms late, 50 ms ticks) keeps k·delay ≈ 0.4: no ringing.
 */
export const STEER_GAIN = 3;
/** Gain on noisy reads (Firefox): their filter adds ~1 s of delay to the loop, so half of it. */
export const NOISY_STEER_GAIN = 1.5;
/** Cap on k·groupRate (1/s): with ~110 ms of rate latency + tick, more makes the loop ring at 4x. */
export const MAX_LOOP_GAIN = 4;
/** Max steering deviation from the group rate: barely audible with preservesPitch = false. */
export const MAX_RATE_DEVIATION = 0.05;
/** Start steering above 5 ms: below, currentTime noise would make us chase ghosts. */
export const STEER_START_S = 0.005;
/** Stop steering (back to the group rate) below 1 ms: hysteresis, no rate flapping. */
export const STEER_STOP_S = 0.001;
/** No steering for 300 ms after a seek is seen: a playing seek resumes 111-225 ms later. */
export const RATE_HOLD_AFTER_SEEK_MS = 300;
/** Relative rate change not worth a write (each write is a media pipeline update). */
export const RATE_WRITE_MIN_STEP = 0.0005;
/** Movement (s) proving that play() really started the clock: far above float noise. */
export const MOVE_EPSILON_S = 1e-4;
/** While the group is paused, a paused player this close to the group position is "there". */
export const PAUSED_TOLERANCE_S = 0.005;

/*
 * Engines other than Chromium (issue 15). Firefox's currentTime reads jitter ±10-30 ms around
 * a smooth clock; WebKit freezes reads 100-500 ms after every rate write and drops rate writes
 * made during or ~300 ms after a seek. The follower learns which of these it faces from what
 * it reads; nothing here sniffs the user agent.
 */
/** Median |jump| (ms) between consecutive reads, beyond the rates' own motion, that makes reads "noisy" (Chromium: 0). */
export const NOISY_READ_MS = 2;
/** Consecutive-read jumps kept to estimate the read noise (a rolling window). */
export const READ_NOISE_SAMPLES = 31;
/** Jumps needed before the noise estimate is trusted (a few quick steps of a real error must not pass for noise). */
export const READ_NOISE_MIN_SAMPLES = 8;
/** Noisy reads are averaged over this long (reset at each discontinuity): ~30 reads cut ±20 ms to ~±3 ms. */
export const FILTER_WINDOW_MS = 1500;
/** Reads needed in the window before a noisy player's position is acted on. */
export const FILTER_MIN_SAMPLES = 5;
/** Noisy players start steering above this many standard errors of the filtered position. */
export const NOISY_START_SIGMAS = 2.5;
/** ...and stop below this many. */
export const NOISY_STOP_SIGMAS = 1;
/** Shortest gap between two steering writes on a noisy player: at most 2 writes a second, no wobble. */
export const NOISY_RATE_WRITE_INTERVAL_MS = 500;
/** Smallest steering change (relative) worth a write on a noisy player. */
export const NOISY_RATE_WRITE_MIN_STEP = 0.002;
/** The effective speed is measured from this long after a rate write (Chromium applies it ~85 ms late). */
export const RATE_VERIFY_SETTLE_MS = 200;
/** Span of reads the speed is measured over: clean reads / noisy reads. */
export const RATE_VERIFY_SPAN_MS = 500;
export const RATE_VERIFY_SPAN_NOISY_MS = 1500;
/** Relative speed error that proves a rate write was dropped: clean / noisy reads (~5 standard errors). */
export const RATE_VERIFY_TOLERANCE = 0.004;
export const RATE_VERIFY_TOLERANCE_NOISY = 0.03;
/** Reads that stop moving this soon after one of our rate writes are a freeze caused by it. */
export const FREEZE_AFTER_WRITE_MS = 600;
/**
 * Freezes right after our rate writes, while the element has data (not buffering), before
 * steering is given up for seek-only correction. WebKit's clock stalls after every write; two
 * are required so one odd stall in Chromium (a false positive is remembered per browser) does
 * not switch it off steering for good.
 */
export const FREEZES_TO_STOP_STEERING = 2;
/**
 * A stall need not freeze two reads in a row: WebKit stalls as short as 40 ms (loaded machine)
 * fall between two 50 ms ticks and only show as time lost. Reads this long after one of our rate
 * writes that fell behind the rates read back by more than STALL_MIN_LOSS_MS (times the rate
 * above 1x) count as a stall caused by the write too. A 5 % write applied 85 ms late (Chromium)
 * loses ~4 ms, a dropped one ~40 ms in this window; clean reads only (noisy ones: frozen reads).
 * At 400 ms a fresh WebKitGTK's probe lost 36 ms only after the window (its write took effect
 * late), was not counted, and the page steered on for 2.6 s (switch 4.3 s after play, p95 133 ms
 * in the 3-8 s window); Chromium's writes lost 0-7 ms within 1 s in the browser suite.
 */
export const STALL_WINDOW_MS = 800;
/**
 * A probe's verdict is awaited this long before the next write (and a probe that passed it
 * clean may be followed by another, CLEAN_PROBES_AFTER_STALL): most stalls show within it, and
 * one that shows later (up to STALL_WINDOW_MS) still counts.
 */
export const STALL_PROBE_VERDICT_MS = 400;
export const STALL_MIN_LOSS_MS = 30;
/**
 * A stall (frozen reads or time lost) is only blamed on a write made once the clock has run this
 * long since it (re)started (earlier, it only makes the follower probe once the clock runs
 * steadily: WebKit's first correction comes right at the start):
 * right after a start or a seek a loaded machine's Chromium loses 50+ ms by itself (seen at 1.5x
 * in the browser suite on a 2-core machine under load, which then went seek-only for good).
 */
export const STALL_MIN_RUN_MS = 500;
/**
 * Nor is a stall (frozen reads or time lost) after a write during which our own ~50 ms ticks came
 * further apart than this: the page was starved of CPU, and the media with it. WebKit's stalls
 * are in its media pipeline; the page's timers keep time through them, give or take: its ticks
 * came up to 93 ms apart across a write's stall on an idle machine (at 90 such a stall passed for
 * a starved page, and a fresh WebKit went on steering for 4 s).
 */
export const STALL_MAX_TICK_GAP_MS = 130;
/**
 * After the first stall, rate writes are put to the test at once rather than at the next
 * correction (which can come seconds later, after a second stall has thrown the player 100+ ms
 * off): the next tick with the clock running writes the rate again, nudged by this much
 * (relative) if steering would not change it. A second stall makes the player seek-only
 * within ~0.5 s of the first.
 */
export const STALL_PROBE_RATE_STEP = 0.002;
/**
 * A due probe waits this long after the suspect write for the clock to run steadily again, then
 * is given up (steering goes on as before). WebKit's clock runs unevenly for up to ~1 s after a
 * stall: at 600 ms the probe was given up and the second stall came only with the next steering
 * write, seconds later. A resync in between restarts the wait when its clock runs: a fresh
 * WebKitGTK page's probe was given up for the ~0.9 s a resync (with its first-frame wait) took.
 */
export const STALL_PROBE_GIVE_UP_MS = 2000;
/**
 * One rate write whose reads then stand still this long (the page's ticks on time, the element
 * not buffering) is enough to go seek-only at once, whenever it came: steering at ±5 % would take
 * 12 s to win that back. A fresh WebKitGTK page's first write, right after its start (so only a
 * suspicion by STALL_MIN_RUN_MS), stood still 1.2+ s (1 run in 12); it then resynced, its probe
 * was given up for the time that took and it steered on to 5.2 s after play (p95 165 ms in the
 * 3-8 s window). Ordinary WebKit stalls measured 40-560 ms.
 */
export const STALL_DECISIVE_FREEZE_MS = 600;
/**
 * After a counted stall, a probe that passes without one is followed by another, up to this many
 * clean probes, before steering goes on as before. WebKitGTK does not stall on every write: a
 * clean probe sent a fresh page back to steering, its second stall came 1.5-2.5 s later with an
 * ordinary steering write, and the switch to seek-only (2.9 and 3.6 s after play, 2 runs in 24)
 * put its resync inside the 3-8 s window (p95 78 and 112 ms). A player that never stalls
 * (Chromium) pays two ±0.2 % nudges.
 */
export const CLEAN_PROBES_AFTER_STALL = 2;
/** The probe waits for two consecutive reads this close to the rate read back (the stall is over). */
export const STALL_PROBE_STEADY_MS = 5;
/**
 * A seek-only player (WebKit: every rate write stalls its clock 100-250 ms, measured) is
 * resynced with a timed play when this far off on the media clock... A resync holds the picture
 * for ~0.3 s and lands within a start's miss (median 3-10 ms on WebKit here): below 15 ms it is
 * not worth the pause (at 10 ms, a 13 ms error paused the picture in the middle of a window).
 */
export const SEEK_ONLY_BAND_S = 0.015;
/**
 * The band widens where starts land further off (WebKit on a loaded machine: settled errors of
 * 10-20 ms after a resync, so a 10 ms band resyncs again and again, each time paused for ~0.3 s):
 * to this factor times the median |settled error| of the last SEEK_ONLY_BAND_SAMPLES starts
 * (once SEEK_ONLY_BAND_SAMPLES_MIN are known, times the group rate: a miss in wall time is g
 * times that on the media clock), at most SEEK_ONLY_BAND_MAX_S (issue 15 bounds WebKit's p95 at
 * 20 ms).
 */
export const SEEK_ONLY_BAND_MISS_FACTOR = 1.5;
export const SEEK_ONLY_BAND_SAMPLES = 5;
export const SEEK_ONLY_BAND_SAMPLES_MIN = 2;
export const SEEK_ONLY_BAND_MAX_S = 0.018;
/**
 * A start that settles further off than this (times the rate above 1x) but within the band gets
 * one more resync at once, with L corrected by what it missed: ~0.5 s after the command the
 * picture has just been held anyway, whereas the band would leave it off for the whole scene.
 * WebKitGTK's starts settled within ±5 ms in 19 of 24 runs here, but one settled +10 ms and
 * stayed there for a whole 5 s window, and one CI run sat 13 ms off (p95 20.2 ms). One refine per
 * start at most: a refine that misses again is what this machine's starts achieve.
 */
export const SEEK_ONLY_REFINE_S = 0.006;
/**
 * ...only for a start that settles within this long of the group command it follows (a start
 * that settles ahead is refined at any time, by a hold: HOLD_MIN_WAIT_MS): later, a second
 * resync is a visible pause mid-scene to mend an offset nobody sees (tried for the first
 * seek-only start of a fresh page, whose L was learned while steering: it settled 10 ms off at
 * 2.9 s, and the refine held the picture from 2.95 to 3.3 s, p95 50 ms in that window where the
 * offset alone would have been ~10). 0 turns refining off.
 */
export const SEEK_ONLY_REFINE_WITHIN_MS = 2000;
/**
 * A seek-only player found ahead of the group is not paused, seeked and started again (a hold of
 * ~0.3 s, the seek's lead): it is paused and started again as soon as the group has caught up
 * (a "hold" of the error itself, less than a frame for the 6-20 ms a start lands off). Only where
 * the wait that needs, error/rate − L, is at least HOLD_MIN_WAIT_MS (the timer has something to
 * time; below it, or with L larger than the error, the usual resync), and for errors up to
 * HOLD_MAX_S (beyond, the picture would stand still longer than a resync holds it). A hold is a
 * start like any other: L learns from it. Fresh WebKitGTK pages learn L from a cold first start
 * (10-22 ms, later ones ~0-2 ms), so the first seek-only start landed 9-13 ms ahead for the whole
 * scene in 6 of 8 idle runs, and 15-22 ms ahead (a resync inside the window) on a loaded machine.
 */
export const HOLD_MIN_WAIT_MS = 1;
export const HOLD_MAX_S = 0.25;
/** ...on this many ticks in a row (a single odd read is not worth a pause). */
export const SEEK_ONLY_CONFIRM_TICKS = 3;
/** An error this large (times the rate above 1x) on a seek-only player is a stall: resync at once. */
export const SEEK_ONLY_STALL_S = 0.05;
/**
 * ...unless it is what the last start left: from SETTLED_LEARN_FROM_MS after a start (earlier
 * reads are not the clock yet, see below), reads this close to each other (times the rate above
 * 1x) on consecutive ticks are a steady offset, not a stall (a stall moves the error at ~1 ms per
 * ms), and L learns from it before the resync. Without this a start that read 84 ms ahead
 * (L = 85 where the clock moves at once) resynced on its first read, again and again, and L never
 * learned.
 */
export const START_OFFSET_STEADY_MS = 5;
/** Ticks after a start that may show such an offset before the error counts as a stall. */
export const START_OFFSET_TICKS = 3;
/**
 * WebKit's first reads after play() starts the clock are off: ~10 ms behind for tens of ms in
 * some runs, up to ~85 ms ahead for 100-200 ms in others (then back on time by themselves). A
 * seek-only player learns its play latency from the median error of the reads between these
 * times after the clock started, and acts on none before SETTLED_LEARN_FROM_MS.
 */
export const SETTLED_LEARN_FROM_MS = 200;
export const SETTLED_LEARN_AT_MS = 450;

export interface FollowerTuning {
  resyncErrorS: number;
  seekMarginMs: number;
  playLatencyMs: number;
  seekLeadMs: number;
  steerGain: number;
  maxLoopGain: number;
  maxRateDeviation: number;
  steerStartS: number;
  steerStopS: number;
  rateHoldAfterSeekMs: number;
  /** Dead band of a player that cannot be steered (seek-only correction). */
  seekOnlyBandS: number;
  /** How long after a command a seek-only start that settled a little off is started again. */
  seekOnlyRefineWithinMs: number;
  /** Averaging window of noisy reads. */
  filterWindowMs: number;
  /** Shortest gap between steering writes on a noisy player. */
  noisyRateWriteIntervalMs: number;
}

export const DEFAULT_FOLLOWER_TUNING: Readonly<FollowerTuning> = {
  resyncErrorS: RESYNC_ERROR_S,
  seekMarginMs: SEEK_MARGIN_MS,
  playLatencyMs: DEFAULT_PLAY_LATENCY_MS,
  seekLeadMs: DEFAULT_SEEK_LEAD_MS,
  steerGain: STEER_GAIN,
  maxLoopGain: MAX_LOOP_GAIN,
  maxRateDeviation: MAX_RATE_DEVIATION,
  steerStartS: STEER_START_S,
  steerStopS: STEER_STOP_S,
  rateHoldAfterSeekMs: RATE_HOLD_AFTER_SEEK_MS,
  seekOnlyBandS: SEEK_ONLY_BAND_S,
  seekOnlyRefineWithinMs: SEEK_ONLY_REFINE_WITHIN_MS,
  filterWindowMs: FILTER_WINDOW_MS,
  noisyRateWriteIntervalMs: NOISY_RATE_WRITE_INTERVAL_MS,
};
