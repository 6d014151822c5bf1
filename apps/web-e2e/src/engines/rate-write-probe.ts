/**
 * In-page diagnostics of what the follower's writes do to the element (issue 15, WebKit's first
 * play): every `playbackRate` write and `play()` call on the page's <video> is noted (the
 * element's own setter and method still run), and the element's clock is looked at every ~1 ms.
 * Stopping returns one row per write: how long the reads stood still after it, how much time
 * the clock lost against the rates read back within RATE_WRITE_PROBE.lossWindowMs, and the
 * largest gap between two looks in that window (a starved page: the follower's own ~50 ms
 * ticks came that late too); and one row per play(): how long until the clock moved.
 * Both functions run in the page (serialized: no closures over this module).
 */

export interface RateWriteProbeOptions {
  /** Time lost is measured over this long after a write (the follower's STALL_WINDOW_MS). */
  lossWindowMs: number;
  /**
   * Reads standing still are looked for this long after a write: past the follower's
   * FREEZE_AFTER_WRITE_MS (600), where a fresh WebKit's 1.2+ s freeze was cut short.
   */
  freezeWindowMs: number;
  /** Looks kept (ring), ~1 per ms. */
  maxLooks: number;
}

export const RATE_WRITE_PROBE: RateWriteProbeOptions = { lossWindowMs: 400, freezeWindowMs: 2000, maxLooks: 60_000 };

/** One rate write: ms since the probe started, rate from → to, ms frozen, ms lost, largest look gap ms, paused/seeking when written. */
export type RateWriteRow = { at: number; from: number; to: number; frozenMs: number; lostMs: number; maxGapMs: number; paused: boolean; seeking: boolean };
/** One play(): ms since the probe started, ms until the clock moved (null: not within 2 s). */
export type PlayRow = { at: number; startMs: number | null };

interface ProbeState {
  t0: number;
  looks: Array<[number, number, number, number]>; // [t, currentTime, playbackRate, 1 = paused or seeking]
  writes: Array<{ at: number; from: number; to: number; paused: boolean; seeking: boolean }>;
  plays: number[];
  stopped: boolean;
}

declare global {
  interface Window {
    __wpRateProbe?: ProbeState;
  }
}

/** In the page: instruments the current <video> (once) and starts looking. */
export function startRateWriteProbe({ maxLooks }: RateWriteProbeOptions): boolean {
  const video = document.querySelector('video');
  if (!video) throw new Error('no <video> to probe');
  if (window.__wpRateProbe) window.__wpRateProbe.stopped = true;
  const state: ProbeState = { t0: performance.now(), looks: [], writes: [], plays: [], stopped: false };
  window.__wpRateProbe = state;
  const rate = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'playbackRate');
  if (!rate?.get || !rate.set) throw new Error('no HTMLMediaElement.playbackRate accessor');
  const get = rate.get;
  const set = rate.set;
  Object.defineProperty(video, 'playbackRate', {
    configurable: true,
    get() {
      return get.call(this);
    },
    set(v: number) {
      const probe = window.__wpRateProbe;
      if (probe && !probe.stopped) {
        probe.writes.push({ at: performance.now() - probe.t0, from: get.call(this), to: v, paused: video.paused, seeking: video.seeking });
      }
      set.call(this, v);
    },
  });
  const play = HTMLMediaElement.prototype.play;
  video.play = function () {
    const probe = window.__wpRateProbe;
    if (probe && !probe.stopped) probe.plays.push(performance.now() - probe.t0);
    return play.call(this);
  };
  const loop = () => {
    if (state.stopped) return;
    state.looks.push([performance.now() - state.t0, video.currentTime, get.call(video), video.paused || video.seeking ? 1 : 0]);
    if (state.looks.length > maxLooks) state.looks.shift();
    setTimeout(loop, 1);
  };
  loop();
  return true;
}

/** In the page: stops looking and analyses each write and play(). */
export function stopRateWriteProbe({ lossWindowMs, freezeWindowMs }: RateWriteProbeOptions): { writes: RateWriteRow[]; plays: PlayRow[] } | null {
  const state = window.__wpRateProbe;
  if (!state) return null;
  state.stopped = true;
  const looks = state.looks;
  const after = (t: number) => {
    let i = 0;
    while (i < looks.length && looks[i][0] < t) i++;
    return i;
  };
  const writes = state.writes.map((w) => {
    const i0 = after(w.at);
    let frozenMs = 0;
    let heldSince = Number.NaN;
    let maxGapMs = 0;
    let model = Number.NaN;
    let lostMs = 0;
    for (let i = i0; i < looks.length && looks[i][0] <= w.at + freezeWindowMs; i++) {
      const [t, ct, r, still] = looks[i];
      const prev = looks[i - 1];
      if (prev) {
        if (t <= w.at + lossWindowMs) maxGapMs = Math.max(maxGapMs, t - prev[0]);
        if (still === 0 && prev[3] === 0 && ct === prev[1]) {
          if (Number.isNaN(heldSince)) heldSince = prev[0];
          frozenMs = Math.max(frozenMs, t - heldSince);
        } else heldSince = Number.NaN;
      }
      if (still === 1) {
        model = Number.NaN;
        continue;
      }
      if (Number.isNaN(model)) model = ct;
      else if (prev) model += ((t - prev[0]) / 1000) * r;
      if (t <= w.at + lossWindowMs) lostMs = Math.max(lostMs, (model - ct) * 1000);
    }
    return { at: Math.round(w.at), from: w.from, to: w.to, frozenMs: Math.round(frozenMs), lostMs: Math.round(lostMs), maxGapMs: Math.round(maxGapMs), paused: w.paused, seeking: w.seeking };
  });
  const plays = state.plays.map((at) => {
    const i0 = after(at);
    const base = looks[i0]?.[1];
    for (let i = i0; i < looks.length && looks[i][0] <= at + 2000; i++) {
      if (looks[i][3] === 0 && base !== undefined && looks[i][1] > base + 1e-4) return { at: Math.round(at), startMs: Math.round(looks[i][0] - at) };
    }
    return { at: Math.round(at), startMs: null };
  });
  return { writes, plays };
}
