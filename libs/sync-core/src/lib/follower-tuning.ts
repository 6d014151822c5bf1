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
/** Lower bound of the learned play latency: play() cannot take effect before it is called. */
export const PLAY_LATENCY_MIN_MS = 0;
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
/** Proportional gain k (1/s): corrects a 15-25 ms post-start residual within ~0.5 s at 1-1.5x. */
export const STEER_GAIN = 1.5;
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
};
