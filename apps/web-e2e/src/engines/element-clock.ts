/**
 * The in-page sampler of the follower's accuracy, shared by the browser tests
 * (engines.e2e.spec.ts) and the per-engine benchmark (bench/engines.mjs, which loads it through
 * bench/lib/ts-adapters.mjs): |element clock − expected| every 100 ms, measured independently of
 * the app's own step detection.
 *
 * Firefox updates currentTime in ~40 ms steps (a read is 0-40 ms behind its clock), so a raw read
 * measures the step, not the sync. The page looks at currentTime every ~1-5 ms, notes when it
 * changes (the midpoint of the last look at a held value and the first at the new) and compares
 * the new value with the group position at that moment. For engines whose value changes at every
 * look (Chromium, WebKit) both figures are the same read, except that a look whose value went
 * back a little (WebKit's reads dip 15-50 ms now and then) is a read glitch: the clock is taken
 * from the last look that did not. Paused, seeking and stalled clocks are fresh at every look.
 *
 * Started and left running (one long evaluate would hit WebKitWebDriver's 30 s script timeout),
 * then stopped; both functions run in the page (serialized: no closures over this module).
 */

/** One sample: ms since the last command (server time), group playing 0/1, |element clock − expected| ms, |currentTime − expected| ms, follower rate writes so far, read dips so far, element clock − expected ms (signed: + ahead). */
export type ElementClockRow = [number, 0 | 1, number | null, number | null, number, number, number | null];

export interface ElementClockRecord {
  rows: ElementClockRow[];
  dips: number;
  looks: number;
  /** Looks dropped because their two reads (currentTime, the group position) were not one moment. */
  torn: number;
  /** Values found stale by the next look (it was ahead of them by more than the time between). */
  stale: number;
  visibility: string;
  /** Follower playbackRate writes while recording. */
  writes: number;
  ms: number;
  error: string | null;
}

export interface ElementClockOptions {
  /** A running clock's read this much (s) or less below the last one is a read glitch, not a seek. */
  maxDipS: number;
  /** A value held this long (ms) is a stalled clock, fresh at every look. */
  maxHoldMs: number;
  /** Sample period (ms). */
  sampleMs: number;
  /**
   * A look whose reads of currentTime and of the group position took longer than this (ms) is
   * dropped: the page was interrupted between them (WebKit under load: isolated samples 10-40 ms
   * behind, in line again 100 ms later, with the follower on time throughout).
   */
  maxReadMs: number;
  /** A value the next look finds behind by more than this (s, beyond the time between them) was stale. */
  maxLagS: number;
}

export const ELEMENT_CLOCK_OPTIONS: ElementClockOptions = { maxDipS: 0.5, maxHoldMs: 150, sampleMs: 100, maxReadMs: 2, maxLagS: 0.003 };

interface Recorder {
  rows: ElementClockRow[];
  dips: number;
  looks: number;
  torn: number;
  stale: number;
  w0: number;
  t0: number;
  stopped: boolean;
  error: string | null;
}

declare global {
  interface Window {
    __wpElementClock?: Recorder;
  }
}

/** In the page: starts sampling (replacing a recorder left running). Needs `window.__wpSync` (debug flag). */
export function startElementClock({ maxDipS, maxHoldMs, sampleMs, maxReadMs, maxLagS }: ElementClockOptions): boolean {
  const sync = window.__wpSync;
  const video = document.querySelector('video');
  if (!sync || !video) throw new Error('no window.__wpSync (debug flag off?) or no <video>');
  if (window.__wpElementClock) window.__wpElementClock.stopped = true;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const rec: Recorder = { rows: [], dips: 0, looks: 0, torn: 0, stale: 0, w0: sync.rateWrites, t0: performance.now(), stopped: false, error: null };
  window.__wpElementClock = rec;
  const signed = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
  const fin = (x: number) => (Number.isFinite(x) ? Math.abs(Math.round(x * 1000) / 1000) : null);
  const loop = async () => {
    let value = Number.NaN;
    let lastLook = Number.NaN;
    let held = 0;
    let valueSince = performance.now();
    let freshErr = Number.NaN;
    let nextSample = performance.now();
    /** The look the last row was taken at. */
    let lastRowLook = Number.NaN;
    while (!rec.stopped) {
      const now = performance.now();
      const state = sync.state;
      const current = video.currentTime;
      const expected = sync.expectedPosition();
      if (performance.now() - now > maxReadMs) {
        // Not one moment: the difference would measure the interruption, not the sync.
        rec.torn++;
        await wait(1);
        continue;
      }
      const rate = state?.rate ?? 1;
      const rawErr = (current - expected) * 1000;
      if (video.paused || video.seeking) {
        // A stopped clock's value is fresh now.
        freshErr = rawErr;
        value = current;
        valueSince = now;
        held = 0;
      } else if (current < value && value - current < maxDipS) {
        // A running clock never goes back: a read a little below the last one is a read glitch
        // (WebKit dips 15-50 ms now and then), not the element's clock; a big drop is a seek.
        rec.dips++;
      } else if (current !== value) {
        // A value held over several looks changed between the last two; one that changes at
        // every look (a continuous clock) is fresh now.
        const changedAt = held > 1 ? (lastLook + now) / 2 : now;
        const hadErr = Number.isFinite(freshErr);
        freshErr = (current - (expected - ((now - changedAt) / 1000) * rate)) * 1000;
        // Ahead of the last value by more than the time since it appeared (and less than a
        // seek): that value was stale (WebKit: one read 10-40 ms behind, the next look back in
        // line; a running clock cannot lose time and win it back within one look). A sample
        // taken from it is the clock's as read now.
        const excessS = current - value - ((now - valueSince) / 1000) * rate;
        if (excessS > maxLagS && excessS < maxDipS && hadErr) {
          rec.stale++;
          const last = rec.rows[rec.rows.length - 1];
          if (last !== undefined && lastRowLook === lastLook) {
            last[2] = fin(freshErr);
            last[6] = signed(freshErr);
          }
        }
        value = current;
        valueSince = changedAt;
        held = 0;
      } else if (now - valueSince > maxHoldMs) {
        // Held far longer than any step: the clock itself stands still (a stall), fresh now.
        freshErr = rawErr;
      }
      held++;
      rec.looks++;
      lastLook = now;
      if (now >= nextSample) {
        if (state) {
          rec.rows.push([now + sync.offsetMs - state.at, state.playing ? 1 : 0, fin(freshErr), fin(rawErr), sync.rateWrites - rec.w0, rec.dips, signed(freshErr)]);
          lastRowLook = now;
        }
        // One sample per period; a page that stalled longer skips the missed slots rather than
        // repeating one value for each.
        do nextSample += sampleMs;
        while (nextSample <= now);
      }
      await wait(1);
    }
  };
  loop().catch((e) => (rec.error = String(e)));
  return true;
}

/** In the page: stops the recorder and returns what it sampled (null if none runs). */
export function stopElementClock(): ElementClockRecord | null {
  const rec = window.__wpElementClock;
  if (!rec) return null;
  rec.stopped = true;
  return {
    rows: rec.rows,
    dips: rec.dips,
    looks: rec.looks,
    torn: rec.torn,
    stale: rec.stale,
    visibility: document.visibilityState,
    writes: (window.__wpSync?.rateWrites ?? rec.w0) - rec.w0,
    ms: performance.now() - rec.t0,
    error: rec.error,
  };
}
