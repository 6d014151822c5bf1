import { type BuiltServer, startBuiltServer } from './built-server';
import { type ClipServer, ensureClip, serveDir } from './clip';
import {
  ELEMENT_CLOCK_OPTIONS,
  ENGINES,
  type ElementClockRow,
  type EngineBrowser,
  type EngineName,
  type EnginePage,
  EXTERNAL_MAX_SHARE,
  EXTERNAL_RECOVERY_MAX_MS,
  type ExternalLoss,
  externalLosses,
  launchEngine,
  RATE_WRITE_PROBE,
  startElementClock,
  startRateWriteProbe,
  stopElementClock,
  stopRateWriteProbe,
} from './engines';
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
 * WebKit 20 ms. WebKit's first play on a fresh profile is when its follower learns that a rate
 * write stalls the clock (a stall, probe writes, seek-only, a resync), and it is bounded too
 * since the follower goes seek-only at once on a write whose reads stand still 600 ms (a fresh
 * WebKitGTK froze 0.8-1.2+ s on its first write in ~1 run of 20, and steered on to 5 s after
 * play) and no longer waits for frame callbacks once seek-only: 19 fresh runs here then switched
 * 1.3-1.9 s after play, p95 0.7-8.9 ms (before that change 31 runs: 0.5-18.8 ms, and 22.6 once).
 */
type Phase = 'play' | 'seek 30 s' | 'rate 1.5';

/** `WP_E2E_ENGINES=webkit` (comma-separated) runs only those engines (looking into one engine); all by default. */
const ONLY = (process.env['WP_E2E_ENGINES'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const RUN_ENGINES = ONLY.length > 0 ? ENGINES.filter((e) => ONLY.includes(e)) : ENGINES;

const P95_BOUND_MS: Record<EngineName, Partial<Record<Phase, number>>> = {
  chromium: { play: 10, 'seek 30 s': 10, 'rate 1.5': 10 },
  firefox: { play: 20, 'seek 30 s': 20, 'rate 1.5': 20 },
  webkit: { play: 20, 'seek 30 s': 20, 'rate 1.5': 20 },
};

interface Measured {
  /** |element clock − expected| (ms), one per 100 ms: the value read, fresh when it changed. */
  errs: number[];
  /** errs without the samples of losses the follower did not cause (externalLosses): what the bound is on. */
  bounded: number[];
  /** Those losses, and when the recording ended (ms after the command). */
  external: ExternalLoss[];
  endMs: number;
  /** Looks dropped as torn (reads not one moment), over the whole recording. */
  torn: number;
  /** Values found stale by the next look, over the whole recording. */
  stale: number;
  /** element clock − expected (ms, + ahead), the same samples as errs. */
  signed: number[];
  /** |currentTime − expected| (ms) read at the same moments, steps and all. */
  raw: number[];
  /** Looks whose value went back a little (read glitches, not counted as the clock). */
  dips: number;
  /** playbackRate writes by the follower during the window. */
  writes: number;
  ms: number;
}

const results = new Map<EngineName, Partial<Record<Phase, Measured>>>();
/** The guest follower's state after each window (followerLog), printed at the end. */
const followerLogs: string[] = [];

/**
 * `WP_E2E_RATE_PROBE=1`: what the guest's rate writes and play() calls did to its element
 * (rate-write-probe.ts: reads frozen, time lost, look gaps, play() → clock moving), printed at
 * the end. Off by default: its 1 ms look loop costs the page CPU during the measured windows.
 */
const RATE_PROBE = process.env['WP_E2E_RATE_PROBE'] === '1';
const probeLogs: string[] = [];

async function startProbe(page: EnginePage): Promise<void> {
  if (RATE_PROBE) await page.evaluate(startRateWriteProbe, RATE_WRITE_PROBE);
}

async function probeLog(page: EnginePage, label: string): Promise<void> {
  if (!RATE_PROBE) return;
  const rec = await page.evaluate(stopRateWriteProbe, RATE_WRITE_PROBE);
  if (!rec) return;
  const writes = rec.writes
    .map((w) => `${w.at}:${+w.from.toFixed(6)}>${+w.to.toFixed(6)}${w.paused || w.seeking ? '(paused)' : ''} frozen ${w.frozenMs} lost ${w.lostMs} gap ${w.maxGapMs}`)
    .join('; ');
  const plays = rec.plays.map((p) => `${p.at}:+${p.startMs ?? 'none'}`).join(' ');
  probeLogs.push(`${page.engine} ${label}: plays (ms: clock moved after) ${plays || '-'}; rate writes (ms: from>to, reads frozen ms, time lost ms in 400 ms, largest look gap ms) ${writes || '-'}`);
}

/** What the guest's follower learned and did, printed with the figures (debugging a bad window needs it). */
async function followerLog(page: EnginePage): Promise<string> {
  return page.evaluate(() => {
    const sync = window.__wpSync;
    if (!sync) return 'no __wpSync';
    // Times from the rate-write probe's start when one ran (the same clock: performance.now()).
    const t0 = window.__wpRateProbe?.t0 ?? sync.actions[0]?.atMs ?? 0;
    const acts = sync.actions
      .slice(-25)
      .map((a) => `${Math.round(a.atMs - t0)}:${a.kind}${a.kind === 'rate' ? `=${a.rate?.toFixed(3)}` : ''}(${Math.round(a.error)})`)
      .join(' ');
    const seekOnly = sync.actions.find((a) => (a as { strategy?: string }).strategy === 'seek-only');
    const since = seekOnly ? `seek-only since ${Math.round(seekOnly.atMs - t0)} ms` : 'never seek-only';
    // Where each timed play() found the element against where its seek was asked to land (ms).
    const landings = sync.timedPlays
      .slice(-12)
      .map(
        (p) =>
          `${Math.round(p.calledMs - t0)}:${((p.positionAtPlay - p.target) * 1000).toFixed(1)}${p.pausedAtPlay ? '' : '(playing)'}` +
          ` [late ${Math.round(p.calledMs - p.plannedMs)} L ${p.latencyMs.toFixed(1)}` +
          (p.gate === undefined ? '' : ` gate ${p.gate.by} ${Math.round(p.gate.afterMs)} frames ${p.gate.frames} last ${(p.gate.lastMediaTime * 1000).toFixed(1)}`) +
          (p.residualMs === undefined ? ']' : ` res ${p.residualMs.toFixed(1)} L' ${p.latencyAfterMs?.toFixed(1)}]`),
      )
      .join(' ');
    const stalls = sync.stalls
      .map((x) => `${Math.round(x.writeAtMs - t0)}:${x.how}/${x.verdict}${x.probe ? '/probe' : ''} gap ${Math.round(x.tickGapMs)} noise ${x.readNoiseMs.toFixed(1)} lost ${x.lossMs?.toFixed(0)}`)
      .join(' ');
    return `strategy ${sync.strategy} (${since}), L ${sync.playLatencyMs.toFixed(0)} ms, residual ${sync.lastResidualMs?.toFixed(0)} ms, actions ${acts}; seek landings at play() ${landings || '-'}; stalls ${stalls || '-'}`;
  }, null);
}

/**
 * Samples the follower in its own page, from `fromMs` after the last command for `forMs`, with
 * the in-page element-clock sampler the engines benchmark uses too (engines/element-clock.ts):
 * Firefox's ~40 ms currentTime steps are taken when fresh, WebKit's read dips are ignored,
 * paused / seeking / stalled clocks are fresh at every look.
 */
async function measure(page: EnginePage, fromMs: number, forMs: number): Promise<Measured> {
  await page.evaluate(startElementClock, ELEMENT_CLOCK_OPTIONS);
  // A window that should have begun already (the test got here late) begins now.
  const sinceNow = await page.evaluate(() => {
    const sync = window.__wpSync;
    return sync ? performance.now() + sync.offsetMs - (sync.state?.at ?? Number.POSITIVE_INFINITY) : Number.NaN;
  }, null);
  const from = Number.isFinite(sinceNow) ? Math.max(fromMs, sinceNow) : fromMs;
  const until = from + forMs;
  await page.waitFor((t) => {
    const sync = window.__wpSync;
    return !!sync && performance.now() + sync.offsetMs - (sync.state?.at ?? Number.POSITIVE_INFINITY) >= t;
  }, until, until + 20_000);
  const rec = await page.evaluate(stopElementClock, null);
  if (!rec) throw new Error('the in-page element clock sampler is gone (page reloaded?)');
  if (rec.error) throw new Error(`element clock sampler: ${rec.error}`);
  const inWindow = ([since]: ElementClockRow) => since >= from && since < until;
  const rows = rec.rows.filter(inWindow);
  const first = rows[0];
  const last = rows[rows.length - 1];
  const { losses, leftOut } = externalLosses(rec.rows, inWindow);
  return {
    errs: rows.map((r) => r[2] ?? Number.NaN),
    bounded: rec.rows.flatMap((r, k) => (inWindow(r) && !leftOut.has(k) ? [r[2] ?? Number.NaN] : [])),
    external: losses.filter((l) => l.leftOut > 0),
    endMs: rec.rows[rec.rows.length - 1]?.[0] ?? until,
    signed: rows.map((r) => r[6] ?? Number.NaN),
    raw: rows.map((r) => r[3] ?? Number.NaN),
    dips: first && last ? last[5] - first[5] : 0,
    torn: rec.torn,
    stale: rec.stale,
    writes: first && last ? last[4] - first[4] : 0,
    ms: first && last ? last[0] - first[0] + ELEMENT_CLOCK_OPTIONS.sampleMs : 0,
  };
}

/** p95 under the bound, losses the follower did not cause left out, each won back in time, and not too many. */
function expectBounded(m: Measured, bound: number): void {
  for (const l of m.external) expect(l.recoveryMs ?? m.endMs - l.atMs).toBeLessThanOrEqual(EXTERNAL_RECOVERY_MAX_MS);
  expect(m.errs.length - m.bounded.length).toBeLessThanOrEqual(EXTERNAL_MAX_SHARE * m.errs.length);
  expect(percentile(m.bounded, 95)).toBeLessThan(bound);
}

/** A window's signed errors, one decimal each (how it moved: a drift, a resync, noise). */
const series = (m: Measured) => m.signed.map((x) => (Number.isFinite(x) ? x.toFixed(1) : '-')).join(' ');

/** The losses left out of a window's bound, as printed after its series. */
const externalNote = (m: Measured) =>
  m.external.length === 0
    ? ''
    : ` | left out (not caused by the follower): ${m.external
        .map((l) => `at ${round(l.atMs, 0)} ms lost ${round(l.lostMs, 1)} ms, back in ${l.recoveryMs === null ? '(window ended)' : `${round(l.recoveryMs, 0)} ms`}, ${l.leftOut} samples`)
        .join('; ')}`;

const count = (page: EnginePage, selector: string) => page.evaluate((s) => document.querySelectorAll(s).length, selector);

afterAll(() => {
  const lines = [
    `follower |element clock − expected| every 100 ms, ${SETTLE_MS / 1000}-${(SETTLE_MS + WINDOW_MS) / 1000} s after each command (HLS fMP4 640x360, host + guest, one machine);`,
    '  raw = |currentTime − expected| at the same moments (Firefox reads step every ~40 ms):',
  ];
  const cell = (x: number, w = 8) => String(round(x, 2)).padStart(w);
  lines.push(`  ${'engine'.padEnd(9)} ${'phase'.padEnd(10)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'raw p50'.padStart(8)} ${'raw p95'.padStart(8)} ${'n'.padStart(4)} ${'dips'.padStart(5)} ${'torn'.padStart(5)} ${'stale'.padStart(6)} ${'rate writes/min'.padStart(16)}`);
  for (const [engine, phases] of results) {
    for (const [phase, w] of Object.entries(phases)) {
      const perMin = (w.writes / w.ms) * 60_000;
      lines.push(
        `  ${engine.padEnd(9)} ${phase.padEnd(10)} ${cell(percentile(w.errs, 50))} ${cell(percentile(w.errs, 95))} ${cell(Math.max(...w.errs))} ${cell(percentile(w.raw, 50))} ${cell(percentile(w.raw, 95))} ${String(w.errs.length).padStart(4)} ${String(w.dips).padStart(5)} ${String(w.torn).padStart(5)} ${String(w.stale).padStart(6)} ${String(round(perMin, 0)).padStart(16)}`,
      );
    }
  }
  console.log(
    [
      ...lines,
      '  the guest follower after each window (action time ms: kind (error ms)):',
      ...followerLogs.map((l) => `  ${l}`),
      ...(probeLogs.length > 0 ? ['  what the guest follower\'s writes did to its element (times from just before the window\'s command):'] : []),
      ...probeLogs.map((l) => `  ${l}`),
    ].join('\n'),
  );
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

/**
 * WebKitGTK's web process now and then deadlocks in its media pipeline: its main thread waits in
 * gst_element_send_event (an event sent to the whole pipeline, such as a seek) for a stream
 * thread of its MSE source, which waits for the main thread (gdb on a hung page; 4 WebKit
 * runs of 68 here, host or guest, at any step). The page never answers again, and the WebKit
 * adapter says so after COMMAND_MS. A step that meets such a page sets the party up once more in
 * new browsers and runs again, with the hang printed; any other failure stands, and so does a
 * second hang in the same engine.
 */
const DEAD_PAGE = /WebKitWebDriver did not answer/;
/** A step that may set the party up again after a dead page: the adapter's COMMAND_MS, a new party, the step once more. */
const STEP_MS = 150_000;

describe.each(RUN_ENGINES)('the party in %s', (engine) => {
  let browser: EngineBrowser | undefined;
  let host: EnginePage;
  let guest: EnginePage;
  let setUpAgain = false;
  const phases: Partial<Record<Phase, Measured>> = {};
  results.set(engine, phases);

  async function openPages(): Promise<void> {
    browser = await launchEngine(engine);
    host = await browser.newPage({ debug: true });
    guest = await browser.newPage({ debug: true });
  }

  beforeAll(openPages, 60_000);

  afterAll(async () => {
    await browser?.close();
  }, 30_000);

  /** `step`, or, once per engine, after a page stopped answering (DEAD_PAGE): new browsers, the party flow, `step` again. */
  async function onLivePages<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (setUpAgain || !DEAD_PAGE.test(String(error))) throw error;
      setUpAgain = true;
      const line = String(error).split('\n').find((l) => DEAD_PAGE.test(l)) ?? '';
      followerLogs.push(`${engine}: a page stopped answering (${line.trim().slice(0, 160)}): the party is set up again in new browsers`);
      await browser?.close().catch(() => undefined);
      await openPages();
      if (step !== partyFlow) await partyFlow();
      return step();
    }
  }

  /** Host creates the party, guest joins, a source is picked, the host plays, a chat message goes across. */
  async function partyFlow(): Promise<void> {
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

    await startProbe(guest);
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
  }

  it('host creates on the home page, guest joins through the join card, a link is picked, both play, chat reaches the other', async () => {
    await onLivePages(partyFlow);
  }, STEP_MS);

  /** The guest's accuracy over one window, with what its follower did, printed under `label`. */
  async function measured(label: string): Promise<Measured> {
    const m = await measure(guest, SETTLE_MS, WINDOW_MS);
    followerLogs.push(`${engine} ${label}: ${await followerLog(guest)}`);
    followerLogs.push(`${engine} ${label} window (ms, + ahead, every 100 ms): ${series(m)}${externalNote(m)}`);
    await probeLog(guest, label);
    return m;
  }

  it('the guest follows after play', async () => {
    phases.play = await onLivePages(() => measured('play'));
    expect(phases.play.errs.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const bound = P95_BOUND_MS[engine].play;
    if (bound !== undefined) expectBounded(phases.play, bound);
  }, STEP_MS);

  it('the guest follows a seek to 30 s through the seek bar', async () => {
    const seek = await onLivePages(() => seekThenMeasure());
    phases['seek 30 s'] = seek;
    expect(seek.errs.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const bound = P95_BOUND_MS[engine]['seek 30 s'];
    if (bound !== undefined) expectBounded(seek, bound);
  }, STEP_MS);

  async function seekThenMeasure(): Promise<Measured> {
    const rev = await guest.evaluate(() => window.__wpSync?.state?.rev ?? -1, null);
    await startProbe(guest);
    // As a drag does: input events while moving, a change on release.
    await host.evaluate((s) => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="seek"]');
      if (!input) throw new Error('no seek bar');
      input.value = String(s);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, 30);
    await guest.waitFor((r) => (window.__wpSync?.state?.rev ?? -1) > r && Math.abs((window.__wpSync?.state?.position ?? 0) - 30) < 0.5, rev);
    return measured('seek');
  }

  it('the guest follows rate 1.5 picked in the menu', async () => {
    const fast = await onLivePages(async () => {
      await startProbe(guest);
      await host.click('[data-testid="rate"]');
      await host.click('[role="menuitemradio"][data-value="1.5"]');
      await guest.waitFor(() => window.__wpSync?.state?.rate === 1.5 && window.__wpSync.state.playing, null);
      return measured('rate 1.5');
    });
    phases['rate 1.5'] = fast;
    expect(fast.errs.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const bound = P95_BOUND_MS[engine]['rate 1.5'];
    if (bound !== undefined) expectBounded(fast, bound);
  }, STEP_MS);

  it('neither page logged a problem (errors, rejections, CSP violations, console errors)', async () => {
    // problems() reports a page that does not answer as a problem (it does not throw): ask again once, on live pages.
    const ask = async () => {
      const problems = { host: await host.problems(), guest: await guest.problems() };
      const dead = [...problems.host, ...problems.guest].find((p) => DEAD_PAGE.test(p));
      if (dead !== undefined) throw new Error(dead);
      return problems;
    };
    const problems = await onLivePages(ask).catch((error: unknown) => ({ host: [String(error)], guest: [] }));
    expect(problems).toEqual({ host: [], guest: [] });
    // And the log does record in this engine: an empty list is not a blind one.
    await guest.evaluate((text) => console.error(text), 'probe from the test');
    expect(await guest.problems()).toContain('console.error: probe from the test');
  }, STEP_MS);
});
