import { type BuiltServer, startBuiltServer } from './built-server';
import { type ClipServer, ensureClip, serveDir } from './clip';
import { ENGINES, type EngineBrowser, type EngineName, type EnginePage, launchEngine } from './engines';
import { percentile, round } from './party';

/**
 * The same party in every engine people watch in (Chromium, Firefox ESR, WebKitGTK), driven as
 * a user drives it, then the follower's accuracy: |currentTime − expected| sampled in the page
 * every 100 ms from SETTLE_MS after each command, for WINDOW_MS, bounded by P95_BOUND_MS.
 */
const SETTLE_MS = 3000;
const WINDOW_MS = 5000;
/** A window must hold most of its 100 ms samples (a page too busy to sample measures nothing). */
const MIN_SAMPLES = (WINDOW_MS / 100) * 0.8;
/**
 * Steady |element clock − expected| p95 bounds (issue 15): Chromium 10 ms (kept), Firefox and
 * WebKit 20 ms. WebKit's first play on a fresh profile is printed only: that is when its
 * follower learns that a rate write stalls the clock (one stall and one resync, which can fall
 * 3-8 s after the command); a returning viewer starts knowing it (kept in localStorage). Its
 * 1.5x window is printed only too: its seek-only band is 10 ms × rate, so at 1.5x it sits up
 * to 15 ms off by design and the p95 (7-16 ms in runs here) is too close to 20 to gate CI on.
 */
type Phase = 'play' | 'seek 30 s' | 'rate 1.5';

const P95_BOUND_MS: Record<EngineName, Partial<Record<Phase, number>>> = {
  chromium: { play: 10, 'seek 30 s': 10, 'rate 1.5': 10 },
  firefox: { play: 20, 'seek 30 s': 20, 'rate 1.5': 20 },
  webkit: { 'seek 30 s': 20 },
};

interface Measured {
  /** |element clock − expected| (ms), one per 100 ms: the value read, fresh when it changed. */
  errs: number[];
  /** |currentTime − expected| (ms) read at the same moments, steps and all. */
  raw: number[];
  /** Looks whose value went back a little (read glitches, not counted as the clock). */
  dips: number;
  /** playbackRate writes by the follower during the window. */
  writes: number;
  ms: number;
}

const results = new Map<EngineName, Partial<Record<Phase, Measured>>>();

/**
 * Samples the follower in its own page, from `fromMs` after the last command for `forMs`.
 * Firefox updates currentTime in ~40 ms steps (a read is 0-40 ms behind its clock), so a raw
 * read measures the step, not the sync. The page looks at currentTime every ~1-5 ms, notes
 * when it changes (the midpoint of the last look at a held value and the first at the new)
 * and compares the new value with the group position at that moment: the element's clock,
 * measured independently of the app's own step detection. For engines whose value changes at
 * every look (Chromium, WebKit) both figures are the same read, except that a look whose value
 * went back a little (WebKit's reads dip 15-50 ms now and then) is a read glitch: the clock is
 * taken from the last look that did not.
 */
function measure(page: EnginePage, fromMs: number, forMs: number): Promise<Measured> {
  return page.evaluate(
    async ({ fromMs, forMs, MAX_DIP_S, MAX_HOLD_MS }) => {
      const sync = window.__wpSync;
      const video = document.querySelector('video');
      if (!sync || !video) throw new Error('no window.__wpSync (debug flag off?) or no <video>');
      const writes = () => sync.rateWrites;
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const sinceCommand = () => performance.now() + sync.offsetMs - (sync.state?.at ?? Number.NEGATIVE_INFINITY);
      while (sinceCommand() < fromMs) await wait(20);
      const errs: number[] = [];
      const raw: number[] = [];
      const w0 = writes();
      const t0 = performance.now();
      let value = Number.NaN;
      let lastLook = Number.NaN;
      let held = 0;
      let dips = 0;
      let valueSince = t0;
      let freshErr = Number.NaN;
      let nextSample = t0;
      for (;;) {
        const now = performance.now();
        if (now - t0 >= forMs) break;
        const current = video.currentTime;
        const expected = sync.expectedPosition();
        const rate = sync.state?.rate ?? 1;
        const rawErr = (current - expected) * 1000;
        if (video.paused || video.seeking) {
          // A stopped clock's value is fresh now.
          freshErr = rawErr;
          value = current;
          valueSince = now;
          held = 0;
        } else if (current < value && value - current < MAX_DIP_S) {
          // A running clock never goes back: a read a little below the last one is a read
          // glitch (WebKit dips 15-50 ms now and then), not the element's clock; a big drop is a seek.
          dips++;
        } else if (current !== value) {
          // A value held over several looks changed between the last two; one that changes at
          // every look (a continuous clock) is fresh now.
          const changedAt = held > 1 ? (lastLook + now) / 2 : now;
          freshErr = (current - (expected - ((now - changedAt) / 1000) * rate)) * 1000;
          value = current;
          valueSince = changedAt;
          held = 0;
        } else if (now - valueSince > MAX_HOLD_MS) {
          // Held far longer than any step: the clock itself stands still (a stall), fresh now.
          freshErr = rawErr;
        }
        held++;
        lastLook = now;
        if (now >= nextSample) {
          errs.push(Math.abs(freshErr));
          raw.push(Math.abs(rawErr));
          nextSample += 100;
        }
        await wait(1);
      }
      return { errs, raw, dips, writes: writes() - w0, ms: performance.now() - t0 };
    },
    { fromMs, forMs, MAX_DIP_S: 0.5, MAX_HOLD_MS: 150 },
  );
}

const count = (page: EnginePage, selector: string) => page.evaluate((s) => document.querySelectorAll(s).length, selector);

afterAll(() => {
  const lines = [
    `follower |element clock − expected| every 100 ms, ${SETTLE_MS / 1000}-${(SETTLE_MS + WINDOW_MS) / 1000} s after each command (HLS fMP4 640x360, host + guest, one machine);`,
    '  raw = |currentTime − expected| at the same moments (Firefox reads step every ~40 ms):',
  ];
  const cell = (x: number, w = 8) => String(round(x, 2)).padStart(w);
  lines.push(`  ${'engine'.padEnd(9)} ${'phase'.padEnd(10)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'raw p50'.padStart(8)} ${'raw p95'.padStart(8)} ${'n'.padStart(4)} ${'dips'.padStart(5)} ${'rate writes/min'.padStart(16)}`);
  for (const [engine, phases] of results) {
    for (const [phase, w] of Object.entries(phases)) {
      const perMin = (w.writes / w.ms) * 60_000;
      lines.push(
        `  ${engine.padEnd(9)} ${phase.padEnd(10)} ${cell(percentile(w.errs, 50))} ${cell(percentile(w.errs, 95))} ${cell(Math.max(...w.errs))} ${cell(percentile(w.raw, 50))} ${cell(percentile(w.raw, 95))} ${String(w.errs.length).padStart(4)} ${String(w.dips).padStart(5)} ${String(round(perMin, 0)).padStart(16)}`,
      );
    }
  }
  console.log(lines.join('\n'));
});

let server: BuiltServer;
let clip: ClipServer;

beforeAll(async () => {
  const [dir, started] = await Promise.all([ensureClip(), startBuiltServer()]);
  server = started;
  clip = await serveDir(dir);
}, 60_000);

afterAll(async () => {
  await clip?.close();
  await server?.close();
});

describe.each(ENGINES)('the party in %s', (engine) => {
  let browser: EngineBrowser | undefined;
  let host: EnginePage;
  let guest: EnginePage;
  const phases: Partial<Record<Phase, Measured>> = {};
  results.set(engine, phases);

  beforeAll(async () => {
    browser = await launchEngine(engine);
    host = await browser.newPage({ debug: true });
    guest = await browser.newPage({ debug: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  }, 30_000);

  it('host creates on the home page, guest joins through the join card, a link is picked, both play, chat reaches the other', async () => {
    await host.goto(server.url);
    await host.fill('input[name="hostName"]', 'Ann');
    await host.fill('input[name="partyName"]', `Film club ${engine}`);
    await host.click('[data-testid="create-party"]');
    await host.waitFor(() => document.querySelector<HTMLInputElement>('[data-testid="invite-link"]')?.value, null);
    const invite = await host.evaluate(() => document.querySelector<HTMLInputElement>('[data-testid="invite-link"]')?.value ?? '', null);
    expect(invite).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/watch\/[A-Za-z0-9_-]+$/);

    await guest.goto(invite);
    await guest.fill('input[name="name"]', 'Bo');
    await guest.click('[data-testid="join-submit"]');
    for (const page of [host, guest]) {
      await page.waitFor(() => document.querySelectorAll('[data-testid="participant"]').length === 2, null);
    }
    expect(await count(guest, '[data-testid="join-submit"]')).toBe(0);

    await host.fill('[data-testid="source-url"]', clip.url('hls/index.m3u8'));
    await host.click('[data-testid="source-submit"]');
    for (const page of [host, guest]) {
      await page.waitFor(() => (document.querySelector('video')?.readyState ?? 0) >= 1, null);
    }

    await host.click('[data-testid="play-pause"]');
    for (const page of [host, guest]) {
      // Playing for real: the group says so and the element's clock moves.
      await page.waitFor(() => {
        const video = document.querySelector('video');
        return window.__wpSync?.state?.playing === true && video !== null && !video.paused && video.currentTime > 0.5;
      }, null);
    }

    const text = `hello from ${engine}`;
    await guest.fill('[data-testid="chat-input"]', text);
    await guest.click('[data-testid="chat-send"]');
    await host.waitFor(
      (t) => [...document.querySelectorAll('[data-testid="chat-message"] .msg-text')].some((e) => e.textContent === t),
      text,
    );
  }, 60_000);

  it('the guest follows after play', async () => {
    phases.play = await measure(guest, SETTLE_MS, WINDOW_MS);
    expect(phases.play.errs.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const bound = P95_BOUND_MS[engine].play;
    if (bound !== undefined) expect(percentile(phases.play.errs, 95)).toBeLessThan(bound);
  }, 60_000);

  it('the guest follows a seek to 30 s through the seek bar', async () => {
    const rev = await guest.evaluate(() => window.__wpSync?.state?.rev ?? -1, null);
    // As a drag does: input events while moving, a change on release.
    await host.evaluate((s) => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="seek"]');
      if (!input) throw new Error('no seek bar');
      input.value = String(s);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, 30);
    await guest.waitFor((r) => (window.__wpSync?.state?.rev ?? -1) > r && Math.abs((window.__wpSync?.state?.position ?? 0) - 30) < 0.5, rev);
    const seek = await measure(guest, SETTLE_MS, WINDOW_MS);
    phases['seek 30 s'] = seek;
    expect(seek.errs.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const bound = P95_BOUND_MS[engine]['seek 30 s'];
    if (bound !== undefined) expect(percentile(seek.errs, 95)).toBeLessThan(bound);
  }, 60_000);

  it('the guest follows rate 1.5 picked in the menu', async () => {
    await host.click('[data-testid="rate"]');
    await host.click('[role="menuitemradio"][data-value="1.5"]');
    await guest.waitFor(() => window.__wpSync?.state?.rate === 1.5 && window.__wpSync.state.playing, null);
    const fast = await measure(guest, SETTLE_MS, WINDOW_MS);
    phases['rate 1.5'] = fast;
    expect(fast.errs.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const bound = P95_BOUND_MS[engine]['rate 1.5'];
    if (bound !== undefined) expect(percentile(fast.errs, 95)).toBeLessThan(bound);
  }, 60_000);

  it('neither page logged a problem (errors, rejections, CSP violations, console errors)', async () => {
    const problems = { host: await host.problems(), guest: await guest.problems() };
    expect(problems).toEqual({ host: [], guest: [] });
    // And the log does record in this engine: an empty list is not a blind one.
    await guest.evaluate((text) => console.error(text), 'probe from the test');
    expect(await guest.problems()).toContain('console.error: probe from the test');
  });
});
