// Figure group `engines`: browser_sync_error_p95_ms per browser engine (params.engine =
// chromium | firefox | webkit), issue 15 point 4.
// The same small party in each engine, one engine after the other, against one built API:
// a Node host (socket.io-client: POST /api/sessions, source:set, playback:control) plays a
// 640x360 fMP4 HLS clip served by lib/static-server.mjs, and FOLLOWERS pages of the engine join
// as a user does (the invite URL /watch/:id, name, join button), each in its own browser,
// through the browser tests' engine adapters (apps/web-e2e/src/engines, loaded by
// lib/ts-adapters.mjs). Script per engine: play, a seek to 20 s after 1/3 of the run, rate 1.5 after 2/3 (30 s per engine, 18 s quick).
// Each follower samples its element clock in the page with the sampler engines.e2e.spec.ts uses
// (apps/web-e2e/src/engines/element-clock.ts, loaded with the adapters: currentTime looked at
// every ~1-5 ms; the clock is the value read, fresh when it changed; read dips ignored; paused /
// seeking / stalled handled), one sample per 100 ms, tagged with the time since the last command
// (server time). Value = steady p95 (group playing, >= SETTLE_MS
// after the last command); reference = Chromium's steady p95 in this same run, same code.
import { accessSync, constants } from 'node:fs';
import { io } from 'socket.io-client';
import { serveStatic } from './lib/static-server.mjs';
import { loadEngineAdapters } from './lib/ts-adapters.mjs';
import { log, makeHlsClip, makeTempDir, maxOf, onCleanup, percentile, postJson, round, sleep, startApi } from './lib/util.mjs';

const ENGINES = ['chromium', 'firefox', 'webkit'];
const FOLLOWERS = 2;
/** Samples within this long after a command (server time) are transitions, not steady state (as browser.mjs). */
const SETTLE_MS = 1000;
/** The second window, as the browser tests measure (engines.e2e.spec.ts: from 3 s after each command). */
const LATE_MS = 3000;
const SCRIPT = [
  [0, { action: 'play' }],
  [1 / 3, { action: 'seek', position: 20 }],
  [2 / 3, { action: 'rate', rate: 1.5 }],
];
const TARGET = { chromium: 'value < 10 ms', firefox: 'value < 20 ms', webkit: 'value < 20 ms' };
const INSTALL = {
  chromium: 'apt-get install chromium (or set CHROMIUM_PATH)',
  firefox: 'apt-get install firefox-esr (or set FIREFOX_PATH)',
  webkit: 'apt-get install webkit2gtk-driver xvfb (WebKitWebDriver, MiniBrowser, Xvfb; or set WEBKIT_WEBDRIVER / WEBKIT_MINIBROWSER)',
};
/**
 * What must be checked before launching: the WebKit adapter spawns WebKitWebDriver without an
 * 'error' listener, so a missing driver would end this process instead of failing the launch.
 * (A missing browser binary or Xvfb rejects the launch, as it should.)
 */
function preflight(engine) {
  if (engine !== 'webkit') return null;
  const driver = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';
  try {
    accessSync(driver, constants.X_OK);
    return null;
  } catch {
    return `no executable WebKitWebDriver at ${driver}`;
  }
}
const MEASURED_AS = 'element clock (stepped reads taken when fresh; read dips ignored)';
/**
 * One engine (launch, join, the script, closing) may take this long before it is given up as
 * hung: its figure is an error and the bench goes on with the next engine (WebKit once hung for
 * more than 5 min). A normal quick run takes ~1 min per engine, ~2 min on a loaded 2-core machine.
 * BENCH_ENGINE_DEADLINE_MS overrides it.
 */
const ENGINE_DEADLINE_MS = positiveEnv('BENCH_ENGINE_DEADLINE_MS', 240_000);
/** How long closing a given-up engine's browsers may take before the bench goes on anyway. */
const ENGINE_CLOSE_MS = 20_000;

function positiveEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number of ms, got ${JSON.stringify(raw)}`);
  return v;
}

/**
 * Runs `run(ctx)` for at most `deadlineMs`. `ctx` collects what the run opens (`browsers`, each
 * with close(); `closers`, functions): past the deadline `ctx.abandoned` is set, everything in it
 * is closed (waiting at most `closeMs`), browsers the run launches later are closed as they come
 * (see `adopt`), and the promise rejects naming the engine; the run's own late outcome is ignored.
 */
export async function withEngineDeadline(engine, run, { deadlineMs = ENGINE_DEADLINE_MS, closeMs = ENGINE_CLOSE_MS } = {}) {
  const ctx = { browsers: [], closers: [], abandoned: false };
  const running = run(ctx);
  let timer;
  const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve(true), deadlineMs)));
  try {
    const first = await Promise.race([running.then(() => false, () => false), timedOut]);
    if (!first) return await running;
  } finally {
    clearTimeout(timer);
  }
  ctx.abandoned = true;
  running.catch(() => undefined); // whatever it does later, it is no figure any more
  const closing = Promise.allSettled([...ctx.closers.map((c) => Promise.resolve().then(c)), ...ctx.browsers.map((b) => b.close())]);
  let closeTimer;
  const closed = await Promise.race([closing.then(() => true), new Promise((r) => (closeTimer = setTimeout(() => r(false), closeMs)))]);
  clearTimeout(closeTimer);
  throw new Error(
    `${engine} did not finish within ${deadlineMs / 1000} s (hung); ` +
      (closed ? 'its browsers were closed' : `closing its browsers took over ${closeMs / 1000} s`),
  );
}

/** A browser launched for `ctx`: kept for closing, or closed at once if the engine was given up meanwhile. */
async function adopt(ctx, browser) {
  if (ctx.abandoned) {
    await browser.close().catch(() => undefined);
    throw new Error('engine given up (deadline)');
  }
  ctx.browsers.push(browser);
  return browser;
}

/** A follower joins as a user does: the invite URL, a name, the join button; then waits to be loaded. */
async function join(browser, inviteUrl, name) {
  const page = await browser.newPage({ debug: true });
  try {
    await page.goto(inviteUrl);
    await page.fill('input[name="name"]', name);
    await page.click('[data-testid="join-submit"]');
    await page.waitFor(
      () => {
        const video = document.querySelector('video');
        return !!window.__wpSync?.state && video !== null && video.readyState >= 2;
      },
      null,
      45_000,
    );
    return page;
  } catch (err) {
    const why = await page
      .evaluate(() => {
        const s = window.__wpSync;
        const v = document.querySelector('video');
        return JSON.stringify({ sync: !!s, state: s?.state ?? null, readyState: v?.readyState ?? null, videoError: v?.error?.message ?? null, url: location.href });
      }, null)
      .catch((e) => String(e));
    await page.close().catch(() => undefined);
    throw new Error(`${name} not ready: ${String(err.message ?? err).split('\n')[0]} ${why}`);
  }
}

/**
 * One engine: launch, the party, the script; resolves with the followers' records. Each follower
 * gets its own browser, as each viewer has: Firefox opens the contexts of one browser as tabs of
 * one window, and every tab but the front one is hidden (its timers run about once a second,
 * the app's sync loop included).
 */
async function runEngine(adapters, engine, { api, src, durationS }, ctx) {
  const { launchEngine, startElementClock, stopElementClock, ELEMENT_CLOCK_OPTIONS } = adapters;
  const missing = preflight(engine);
  if (missing) throw new Error(`${engine} did not launch: ${missing} (${INSTALL[engine]})`);
  const browsers = ctx.browsers;
  const closeBrowsers = () => Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
  onCleanup(closeBrowsers); // Ctrl-C in the middle: run.mjs's cleanup closes them
  const launched = await Promise.allSettled(Array.from({ length: FOLLOWERS }, () => launchEngine(engine).then((b) => adopt(ctx, b))));
  // Given up past the deadline, a run that was only slow stops at its next step (its finally closes what it opened).
  const alive = () => {
    if (ctx.abandoned) throw new Error('engine given up (deadline)');
  };
  alive();
  const notLaunched = launched.find((l) => l.status === 'rejected');
  if (notLaunched) {
    await closeBrowsers();
    const why = String(notLaunched.reason?.message ?? notLaunched.reason).split('\n')[0];
    throw new Error(`${engine} did not launch: ${why} (${INSTALL[engine]})`);
  }
  const pages = [];
  let host;
  try {
    const created = await postJson(`${api.url}/api/sessions`, { hostName: 'Host', name: `engines bench ${engine}`, controlPolicy: 'host' });
    const sessionId = created.session.id;
    host = io(api.url, { transports: ['websocket'], auth: { token: created.token }, reconnection: false });
    const hostSocket = host;
    ctx.closers.push(() => hostSocket.close());
    alive();
    await new Promise((res, rej) => {
      host.once('session:snapshot', res);
      host.once('connect_error', rej);
    });
    const ack = await host.timeout(5000).emitWithAck('source:set', { source: { kind: 'url', url: src } });
    if (!ack.ok) throw new Error(`source:set refused: ${JSON.stringify(ack.error)}`);

    const invite = `${api.url}/watch/${sessionId}`;
    const joined = await Promise.allSettled(browsers.map((browser, i) => join(browser, invite, `${engine}${i + 1}`)));
    for (const j of joined) if (j.status === 'fulfilled') pages.push(j.value);
    const failed = joined.find((j) => j.status === 'rejected');
    if (failed) throw failed.reason;
    alive();

    await sleep(1000); // the followers settle on the paused start position
    for (const page of pages) await page.evaluate(startElementClock, ELEMENT_CLOCK_OPTIONS);

    const start = performance.now();
    const ackErrors = [];
    for (const [at, control] of SCRIPT) {
      const wait = start + at * durationS * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      alive();
      const a = await host.timeout(5000).emitWithAck('playback:control', control);
      if (!a.ok) ackErrors.push(`${control.action}: ${a.error?.code}`);
    }
    const left = start + durationS * 1000 - performance.now();
    if (left > 0) await sleep(left);
    alive();

    const followers = [];
    for (const page of pages) {
      const rec = await page.evaluate(stopElementClock, null);
      if (!rec) throw new Error('the in-page recorder is gone (page reloaded?)');
      const problems = await page.problems().catch((e) => [`problems(): ${String(e)}`]);
      followers.push({ ...rec, problems });
    }
    return { followers, ackErrors };
  } finally {
    host?.close();
    for (const page of pages) await page.close().catch(() => undefined);
    await closeBrowsers();
  }
}

/** BENCH_DEBUG=1: per follower, looks per second, visibility and the steady error per command (p50 / p95 / max ms). */
function debugDump(engine, followers) {
  followers.forEach((f, i) => {
    const segments = [];
    let last = Infinity;
    for (const [since, playing, err] of f.rows) {
      if (since < last) segments.push([]);
      last = since;
      if (playing === 1 && since >= SETTLE_MS && err !== null) segments.at(-1).push(err);
    }
    const parts = segments.filter((v) => v.length).map((v) => `${round(percentile(v, 50), 1)}/${round(percentile(v, 95), 1)}/${round(maxOf(v), 1)} (n=${v.length})`);
    log(`  ${engine}${i + 1}: ${f.rows.length} rows, ${Math.round((f.looks / f.ms) * 1000)} looks/s, ${f.torn} torn, ${f.stale} stale, ${f.visibility}, writes ${f.writes}: ${parts.join('  ')}`);
  });
}

function analyse(followers, durationS) {
  const steady = [];
  const late = [];
  const raw = [];
  let n = 0;
  for (const f of followers) {
    for (const [since, playing, err, rawErr] of f.rows) {
      n++;
      if (playing !== 1 || err === null) continue;
      if (since >= SETTLE_MS) {
        steady.push(err);
        if (rawErr !== null) raw.push(rawErr);
      }
      if (since >= LATE_MS) late.push(err);
    }
  }
  const writes = followers.reduce((s, f) => s + f.writes, 0) / followers.length;
  const minutes = followers.reduce((s, f) => s + f.ms, 0) / followers.length / 60_000;
  return {
    p50: percentile(steady, 50),
    p95: percentile(steady, 95),
    max: maxOf(steady),
    p95From3s: percentile(late, 95),
    rawP95: percentile(raw, 95),
    rateWritesPerMin: minutes > 0 ? writes / minutes : Number.NaN,
    samples: { all: n, steady: steady.length, from3s: late.length },
    dips: followers.reduce((s, f) => s + f.dips, 0),
    recorderErrors: followers.map((f) => f.error).filter(Boolean),
    hiddenPages: followers.filter((f) => f.visibility !== 'visible').length,
    problems: [...new Set(followers.flatMap((f) => f.problems))].slice(0, 3),
    durationS,
  };
}

export async function enginesBench({ quick, emit }) {
  const durationS = quick ? 18 : 30;
  // Furthest position: 20 s + (1/3 of the run) + 1.5 x (1/3 of the run) = 45 s at 30 s.
  const clipSeconds = quick ? 40 : 60;
  const clip = `${clipSeconds} s 640x360 30 fps H.264/AAC fMP4 HLS, 2 s segments`;
  const base = { window: 'steady', followers: FOLLOWERS, runSeconds: durationS, clip, measuredAs: MEASURED_AS, followerBrowsers: 'one browser per follower' };
  const failAll = (error) => {
    for (const engine of ENGINES) {
      emit({ name: 'browser_sync_error_p95_ms', value: null, unit: 'ms', reference: null, error, params: { engine, ...base, target: TARGET[engine] } });
    }
  };

  let adapters;
  try {
    adapters = await loadEngineAdapters();
  } catch (err) {
    failAll(`engine adapters did not load: ${String(err.message ?? err).split('\n')[0]}`);
    return;
  }

  let stat;
  let api;
  try {
    const clipDir = await makeHlsClip(makeTempDir('clip'), clipSeconds);
    stat = await serveStatic({ '/clip/': clipDir });
    api = await startApi();
  } catch (err) {
    await stat?.close();
    failAll(`setup failed: ${String(err.message ?? err).split('\n')[0]}`);
    return;
  }
  const src = stat.url('/clip/hls/index.m3u8');

  try {
    let chromiumP95 = null;
    for (const engine of ENGINES) {
      const t0 = performance.now();
      let result = null;
      let error;
      try {
        const r = await withEngineDeadline(engine, (ctx) => runEngine(adapters, engine, { api, src, durationS }, ctx));
        if (process.env.BENCH_DEBUG) debugDump(engine, r.followers);
        result = { ...analyse(r.followers, durationS), ackErrors: r.ackErrors };
      } catch (err) {
        error = String(err.message ?? err).split('\n')[0];
        log(`engines ${engine}: ${error}`);
      }
      if (engine === 'chromium' && result && Number.isFinite(result.p95)) chromiumP95 = result.p95;
      if (result) {
        log(
          `engines ${engine}: steady p50 ${round(result.p50)} p95 ${round(result.p95)} ms, from 3 s p95 ${round(result.p95From3s)}, raw p95 ${round(result.rawP95)}, ` +
            `rate writes/min ${round(result.rateWritesPerMin, 1)}, ${Math.round((performance.now() - t0) / 1000)} s`,
        );
      }
      emit({
        name: 'browser_sync_error_p95_ms',
        value: result ? result.p95 : null,
        unit: 'ms',
        reference: chromiumP95,
        ...(error ? { error } : chromiumP95 === null ? { error: 'reference failed: no Chromium figure in this run' } : {}),
        params: {
          engine,
          ...base,
          ...(result
            ? {
                p50Ms: round(result.p50),
                p95From3sMs: round(result.p95From3s),
                rawCurrentTimeP95Ms: round(result.rawP95),
                rateWritesPerMin: round(result.rateWritesPerMin, 1),
                errMaxMs: round(result.max),
                samples: result.samples,
                readDips: result.dips,
                ...(result.ackErrors.length ? { ackErrors: result.ackErrors } : {}),
                ...(result.recorderErrors.length ? { recorderErrors: result.recorderErrors } : {}),
                ...(result.hiddenPages ? { hiddenPages: result.hiddenPages } : {}),
                ...(result.problems.length ? { pageProblems: result.problems } : {}),
              }
            : {}),
          target: TARGET[engine],
          reference: 'Chromium steady p95, same run, same code',
        },
      });
    }
  } finally {
    await api.stop();
    await stat.close();
  }
}
