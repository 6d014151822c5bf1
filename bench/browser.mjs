// Figure 5: browser_sync_error_p50_ms / _p95_ms, browser_pairwise_spread_p95_ms,
// browser_frame_error_p95_ms.
// Three headless Chromium followers join a party through the real web app (/watch/:id, identity
// put in localStorage first) and play a 640x360 fMP4 HLS clip served by a loopback static
// server; the host, a Socket.IO client in this process, plays a fixed script of play, seek,
// rate 1.5, pause, play, seek, rate 1. Each follower samples currentTime every 100 ms and records
// every presented frame (requestVideoFrameCallback: mediaTime at expectedDisplayTime), each
// against the group position computed from the page's own Date.now() (one machine: the page's
// wall clock is the server's, CONTRACT section 7), not from the app's estimate of the offset;
// the offset-based error (window.__wpSync.sample()) is kept beside it as params.
// browser_sync_error_p95_ms is emitted for two windows: "steady" (group playing, >= 1 s after the
// last command) and "transition" (group playing, >= 500 ms after the last command); the others
// are for the steady window, with their transition figures as params.
// Run once on loopback and once through a TCP proxy adding 100 ± 30 ms per chunk and direction
// between the browsers and the server.
// BENCH_DUMP=<path> writes each network's raw recordings to <path>.<network>.json.
// BENCH_DEBUG=1 also prints where the transition error comes from (transitionDump): per command
// and follower, the error by time since the command, the app's clock offset error, each timed
// play()'s timer lateness and the play latency it was planned with, and the follower's actions.
// Reference, same run: three followers of bench/naive/index.html (same server, events, clock
// and hls.js; seeks only when more than 1 s off). With --quick the app and reference followers
// run side by side in the same party (6 pages at once) to fit the 3-minute budget; the full run
// measures them one after the other.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { io } from 'socket.io-client';
import { startDelayProxy } from './lib/delay-proxy.mjs';
import { serveStatic } from './lib/static-server.mjs';
import { BENCH_DIR, ROOT, log, makeHlsClip, makeTempDir, maxOf, percentile, postJson, round, sleep, startApi } from './lib/util.mjs';

const FOLLOWERS = 3;
/** Samples within this long after a command (server time) are transitions, not steady state. */
const SETTLE_MS = 1000;
/** The "transition" window starts this long after a command (CONTRACT section 7). */
const TRANSITION_FROM_MS = 500;
/** Windows, by the least time since the last command (group playing). */
const WINDOWS = { steady: SETTLE_MS, transition: TRANSITION_FROM_MS };

/** The script, as fractions of the run length; positions stay inside the clip (max ~41 s at 60 s, ~27 s at 20 s). */
const SCRIPT = [
  [0, { action: 'play' }],
  [1 / 6, { action: 'seek', position: 5 }],
  [2 / 6, { action: 'rate', rate: 1.5 }],
  [8 / 15, { action: 'pause' }],
  [9 / 15, { action: 'play' }],
  [11 / 15, { action: 'seek', position: 20 }],
  [13 / 15, { action: 'rate', rate: 1 }],
];

/**
 * In-page recorder: 100 ms samples and every presented frame. Rows are [wall time (ms),
 * error vs Date.now() (ms), group playing 0/1, ms since the command by Date.now(), error vs the
 * app's offset (ms), ms since the command by the app's offset]; frame rows add the group rate. The wall time of a performance.now()
 * instant is taken with the largest Date.now() - performance.now() seen (Date.now() has 1 ms steps).
 */
function installRecorder() {
  const rec = { samples: [], frames: [], stopped: false };
  window.__benchRec = rec;
  const expectedAt = (s, t) => (s.playing ? s.position + (Math.max(0, t - s.at) / 1000) * s.rate : s.position);
  let wallOffset = Number.NEGATIVE_INFINITY;
  const wallOf = (perfMs) => {
    wallOffset = Math.max(wallOffset, Date.now() - performance.now());
    return perfMs + wallOffset;
  };
  // Debug detail (BENCH_DEBUG): each group state once, the follower's actions and timed play() calls, in wall ms.
  rec.states = [];
  rec.actions = [];
  rec.plays = [];
  let lastRev = null;
  let lastActionAt = Number.NEGATIVE_INFINITY;
  let lastPlayAt = Number.NEGATIVE_INFINITY;
  const collect = (sync, st) => {
    if (st.rev !== lastRev) {
      lastRev = st.rev;
      rec.states.push({ rev: st.rev, action: st.action, at: st.at, rate: st.rate, playing: st.playing });
    }
    for (const a of sync.actions ?? []) {
      if (a.atMs <= lastActionAt) continue;
      lastActionAt = a.atMs;
      rec.actions.push({ wall: wallOf(a.atMs), kind: a.kind, rate: a.rate, position: a.position, error: a.error });
    }
    for (const p of sync.timedPlays ?? []) {
      if (p.calledMs <= lastPlayAt) continue;
      lastPlayAt = p.calledMs;
      rec.plays.push({ wall: wallOf(p.plannedMs), lateMs: p.calledMs - p.plannedMs, latencyMs: p.latencyMs });
    }
  };
  rec.timer = setInterval(() => {
    const sync = window.__wpSync;
    const st = sync?.state;
    if (!st) return;
    collect(sync, st);
    const s = sync.sample();
    const wall = wallOf(performance.now());
    const byOffset = performance.now() + sync.offsetMs;
    rec.samples.push([wall, (s.current - expectedAt(st, wall)) * 1000, st.playing ? 1 : 0, wall - st.at, (s.current - s.expected) * 1000, byOffset - st.at]);
  }, 100);
  const video = document.querySelector('video');
  if (video && 'requestVideoFrameCallback' in video) {
    const onFrame = (_now, meta) => {
      if (rec.stopped) return;
      const sync = window.__wpSync;
      const st = sync?.state;
      if (st) {
        const wall = wallOf(meta.expectedDisplayTime);
        const byOffset = meta.expectedDisplayTime + sync.offsetMs;
        rec.frames.push([
          wall,
          (meta.mediaTime - expectedAt(st, wall)) * 1000,
          st.playing ? 1 : 0,
          wall - st.at,
          (meta.mediaTime - expectedAt(st, byOffset)) * 1000,
          byOffset - st.at,
          st.rate,
        ]);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    rec.noRvfc = true;
  }
}

function stopRecorder() {
  const rec = window.__benchRec;
  rec.stopped = true;
  clearInterval(rec.timer);
  return { samples: rec.samples, frames: rec.frames, noRvfc: !!rec.noRvfc, states: rec.states, actions: rec.actions, plays: rec.plays };
}

async function openFollower(browser, kind, { base, sessionId, identity, src, staticUrl }) {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (kind === 'app') {
    await context.addInitScript(
      ([key, value]) => {
        if (!localStorage.getItem(key)) localStorage.setItem(key, value);
        // The app publishes window.__wpSync only with this flag (DebugHandlesService).
        localStorage.setItem('wp.debug', '1');
      },
      [`wp.identity.${sessionId}`, JSON.stringify({ token: identity.token, participantId: identity.participantId, name: identity.name })],
    );
    await page.goto(`${base}/watch/${sessionId}`);
  } else {
    const q = new URLSearchParams({ server: base, token: identity.token, src });
    await page.goto(staticUrl(`/naive/index.html?${q}`));
  }
  return { kind, context, page, errors, name: identity.name };
}

async function waitReady(f, timeout) {
  try {
    await waitReadyInner(f, timeout);
  } catch (err) {
    const why = await f.page
      .evaluate(() => {
        const s = window.__wpSync;
        const v = document.querySelector('video');
        return JSON.stringify({ sync: !!s, state: s?.state ?? null, rtt: s?.rttMs, readyState: v?.readyState, videoError: v?.error?.message, url: location.href });
      })
      .catch((e) => String(e));
    throw new Error(`${f.name} not ready (${err instanceof Error ? err.message : String(err)}): ${why} ${f.errors.join('; ')}`);
  }
}

async function waitReadyInner(f, timeout) {
  await f.page.waitForFunction(
    () => {
      const s = window.__wpSync;
      const v = document.querySelector('video');
      return !!s && s.state !== null && Number.isFinite(s.rttMs) && !!v && v.readyState >= 2;
    },
    undefined,
    { timeout, polling: 100 },
  );
}

/**
 * One party: the host (Node) sets the source, `kinds` followers of each kind join and load,
 * then the script runs for `durationS`. Returns { [kind]: [{ samples, frames }] }.
 */
export async function runParty(browser, { api, base, staticUrl, src, kinds, durationS }) {
  const t00 = performance.now();
  const created = await postJson(`${api.url}/api/sessions`, { hostName: 'Host', name: 'browser bench', controlPolicy: 'host' });
  const sessionId = created.session.id;
  const host = io(api.url, { transports: ['websocket'], auth: { token: created.token }, reconnection: false });
  const followers = [];
  try {
    await new Promise((res, rej) => {
      host.once('session:snapshot', res);
      host.once('connect_error', rej);
    });
    const ack = await host.timeout(5000).emitWithAck('source:set', { source: { kind: 'url', url: src } });
    if (!ack.ok) throw new Error(`source:set refused: ${JSON.stringify(ack.error)}`);
    const identities = [];
    for (const kind of kinds) {
      for (let i = 0; i < FOLLOWERS; i++) {
        const name = `${kind}${i + 1}`;
        const r = await postJson(`${api.url}/api/sessions/${sessionId}/participants`, { name });
        identities.push({ kind, identity: { token: r.token, participantId: r.participantId, name } });
      }
    }
    const opened = await Promise.allSettled(
      identities.map(({ kind, identity }) => openFollower(browser, kind, { base, sessionId, identity, src, staticUrl })),
    );
    for (const o of opened) if (o.status === 'fulfilled') followers.push(o.value);
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
    const dbg = (what) => process.env.BENCH_DEBUG && log(`  ${what} +${Math.round(performance.now() - t00)} ms`);
    dbg('opened');
    await Promise.all(followers.map((f) => waitReady(f, 45000)));
    dbg('ready');
    await sleep(1000); // the followers settle on the paused start position
    await Promise.all(followers.map((f) => f.page.evaluate(installRecorder)));

    const start = performance.now();
    const ackErrors = [];
    for (const [at, control] of SCRIPT) {
      const wait = start + at * durationS * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      const a = await host.timeout(5000).emitWithAck('playback:control', control);
      if (!a.ok) ackErrors.push(`${control.action}: ${a.error?.code}`);
    }
    const left = start + durationS * 1000 - performance.now();
    if (left > 0) await sleep(left);

    dbg('script done');
    const out = {};
    for (const f of followers) {
      const rec = await f.page.evaluate(stopRecorder);
      (out[f.kind] ??= []).push({ ...rec, name: f.name, pageErrors: f.errors });
    }
    return { results: out, ackErrors };
  } finally {
    host.close();
    for (const f of followers) await f.context.close().catch(() => undefined);
  }
}

/** BENCH_DEBUG=1: per follower and per command, the steady-state error (ms) as p50 / max. */
function debugDump(network, results) {
  for (const followers of Object.values(results)) {
    for (const f of followers) {
      const bySegment = new Map();
      for (const s of f.samples) {
        if (!steady(s)) continue;
        const at = Math.round(s[0] - s[3]);
        if (!bySegment.has(at)) bySegment.set(at, []);
        bySegment.get(at).push(s[1]);
      }
      const parts = [...bySegment.values()].map((v) => `${round(percentile(v, 50), 1)}/${round(maxOf(v.map(Math.abs)), 1)}`);
      const fr = f.frames.filter(steady).map((x) => x[1]);
      const q = [5, 25, 50, 75, 95].map((p) => round(percentile(fr, p), 1)).join(' ');
      log(`  ${network} ${f.name}: ${parts.join('  ')} | frames signed p5..p95 ${q} (n=${fr.length})`);
    }
  }
}

/** Buckets of time since a command (ms) for the transition breakdown. */
const TRANSITION_BUCKETS = [
  [500, 1000],
  [1000, 2000],
  [2000, 3000],
];

/** The command a state came from, as printed: play, seek, rate1.5, pause. */
const commandLabel = (st) => (st.action === 'rate' ? `rate${st.rate}` : st.action);

/**
 * BENCH_DEBUG=1: where the transition error comes from. Per command and follower: |error| p50 /
 * p95 / max (ms, signed median in brackets) by time since the command, the app's clock offset
 * error (its offset − the true one, ms), each timed play()'s lateness and the learned latency,
 * and the follower's actions in the first 3 s. Then per command, all followers: p95 per bucket.
 */
export function transitionDump(network, followers) {
  const byCommand = new Map();
  for (const f of followers) {
    for (const st of f.states ?? []) {
      if (!st.playing) continue;
      const label = commandLabel(st);
      const of = (rows) => rows.filter((r) => r[2] === 1 && Math.abs(r[0] - r[3] - st.at) < 2);
      const rows = of(f.samples);
      const parts = TRANSITION_BUCKETS.map(([lo, hi]) => {
        const e = rows.filter((r) => r[3] >= lo && r[3] < hi).map((r) => r[1]);
        const abs = e.map(Math.abs);
        const agg = (byCommand.get(label) ?? new Map());
        byCommand.set(label, agg);
        agg.set(lo, [...(agg.get(lo) ?? []), ...abs]);
        return `${lo / 1000}-${hi / 1000}s ${round(percentile(abs, 50), 1)}/${round(percentile(abs, 95), 1)}/${round(maxOf(abs), 1)} (${round(percentile(e, 50), 1)})`;
      });
      const early = rows.filter((r) => r[3] >= 500 && r[3] < 1000).map((r) => r[5] - r[3]);
      const plays = (f.plays ?? []).filter((p) => p.wall >= st.at && p.wall < st.at + 3000);
      const acts = (f.actions ?? []).filter((a) => a.wall >= st.at - 50 && a.wall < st.at + 3000);
      log(
        `  ${network} ${f.name} ${label}@${round(st.at % 100000, 0)}: ${parts.join('  ')} | offset err ${round(percentile(early, 50), 2)} | plays ${plays
          .map((p) => `+${round(p.wall - st.at, 0)} late ${round(p.lateMs, 2)} L ${round(p.latencyMs, 1)}`)
          .join(', ')} | ${acts
          .map((a) => `${round(a.wall - st.at, 0)}:${a.kind}${a.kind === 'rate' ? `=${a.rate.toFixed(3)}` : ''}(${round(a.error, 1)})`)
          .join(' ')}`,
      );
    }
  }
  for (const [label, agg] of byCommand) {
    log(`  ${network} ${label}: ${[...agg].map(([lo, v]) => `from ${lo / 1000}s p95 ${round(percentile(v, 95), 1)} (n=${v.length})`).join(', ')}`);
  }
}

/** A row in the window starting `fromMs` after the last command (group playing), by the wall clock or by the app's offset. */
const inWindow = (row, fromMs, byOffset = false) => row[2] === 1 && (byOffset ? row[5] : row[3]) >= fromMs;
const steady = (row) => inWindow(row, SETTLE_MS);
/** The error of a row: against Date.now() (index 1) or against the app's offset (index 4). */
const errOf = (row, byOffset) => (byOffset ? row[4] : row[1]);

/** |errA - errB| for samples of two followers taken within 50 ms of each other (wall time), both in the window. */
function pairSpread(a, b, fromMs) {
  const out = [];
  let j = 0;
  for (const s of a) {
    while (j + 1 < b.length && Math.abs(b[j + 1][0] - s[0]) <= Math.abs(b[j][0] - s[0])) j++;
    const o = b[j];
    if (o && Math.abs(o[0] - s[0]) <= 50 && inWindow(s, fromMs) && inWindow(o, fromMs)) out.push(Math.abs(s[1] - o[1]));
  }
  return out;
}

/** Error, frame and spread figures for one window (from `fromMs` after each command), by the wall clock or by the app's offset. */
function windowFigures(followers, fromMs, byOffset) {
  const err = [];
  const frames = [];
  // The frame error split by group rate, and in wall time (media ms / group rate: how early or
  // late the picture is shown), beside the media-ms figure.
  const framesAt1 = [];
  const framesOtherRate = [];
  const framesWall = [];
  const spread = [];
  for (const f of followers) {
    for (const s of f.samples) if (inWindow(s, fromMs, byOffset) && Number.isFinite(errOf(s, byOffset))) err.push(Math.abs(errOf(s, byOffset)));
    for (const fr of f.frames) {
      if (!inWindow(fr, fromMs, byOffset) || !Number.isFinite(errOf(fr, byOffset))) continue;
      const e = Math.abs(errOf(fr, byOffset));
      frames.push(e);
      (fr[6] === 1 ? framesAt1 : framesOtherRate).push(e);
      framesWall.push(e / fr[6]);
    }
  }
  if (!byOffset) {
    for (let i = 0; i < followers.length; i++)
      for (let j = i + 1; j < followers.length; j++) for (const x of pairSpread(followers[i].samples, followers[j].samples, fromMs)) spread.push(x);
  }
  return {
    errP50: percentile(err, 50),
    errP95: percentile(err, 95),
    errP99: percentile(err, 99),
    errMax: maxOf(err),
    frameP95: percentile(frames, 95),
    frameP95AtRate1: percentile(framesAt1, 95),
    frameP95AtOtherRates: percentile(framesOtherRate, 95),
    frameP95Wall: percentile(framesWall, 95),
    spreadP95: byOffset ? Number.NaN : percentile(spread, 95),
    n: { samples: err.length, frames: frames.length, ...(byOffset ? {} : { pairs: spread.length }) },
  };
}

export function analyse(followers) {
  const all = [];
  for (const f of followers) for (const s of f.samples) if (s[2] === 1 && Number.isFinite(s[1])) all.push(Math.abs(s[1]));
  const byWindow = {};
  for (const [name, fromMs] of Object.entries(WINDOWS)) {
    byWindow[name] = { wall: windowFigures(followers, fromMs, false), offset: windowFigures(followers, fromMs, true) };
  }
  return {
    ...byWindow,
    wholeRunP95: percentile(all, 95),
    noRvfc: followers.some((f) => f.noRvfc),
    pageErrors: [...new Set(followers.flatMap((f) => f.pageErrors))].slice(0, 3),
  };
}

export async function browserBench({ quick, emit }) {
  const durationS = quick ? 20 : 60;
  const together = quick;
  const clipSeconds = quick ? 30 : 60;
  const clipDir = await makeHlsClip(makeTempDir('clip'), clipSeconds);
  if (process.env.BENCH_DEBUG) log('  clip made');
  const stat = await serveStatic({
    '/clip/': clipDir,
    '/naive/': join(BENCH_DIR, 'naive'),
    '/vendor/socket.io.min.js': join(ROOT, 'node_modules/socket.io-client/dist/socket.io.min.js'),
    '/vendor/hls.min.js': join(ROOT, 'node_modules/hls.js/dist/hls.min.js'),
  });
  const src = stat.url('/clip/hls/index.m3u8');
  const api = await startApi();
  const browser = await launchChromium();
  try {
    for (const network of ['loopback', 'delay']) {
      const proxy = network === 'delay' ? await startDelayProxy(api.port, { baseMs: 100, jitterMs: 30 }) : null;
      const base = proxy ? proxy.url : api.url;
      const results = {};
      const ackErrors = [];
      const errors = {};
      try {
        const groups = together ? [['app', 'naive']] : [['app'], ['naive']];
        for (const kinds of groups) {
          try {
            const r = await runParty(browser, { api, base, staticUrl: stat.url, src, kinds, durationS });
            Object.assign(results, r.results);
            ackErrors.push(...r.ackErrors);
          } catch (err) {
            for (const k of kinds) errors[k] = String(err.message ?? err).split('\n')[0];
          }
        }
      } finally {
        await proxy?.close();
      }
      if (process.env.BENCH_DUMP) writeFileSync(`${process.env.BENCH_DUMP}.${network}.json`, JSON.stringify(results));
      if (process.env.BENCH_DEBUG) {
        debugDump(network, results);
        if (results.app) transitionDump(network, results.app);
      }
      const app = results.app ? analyse(results.app) : null;
      const ref = results.naive ? analyse(results.naive) : null;
      const fmt = (r, w) =>
        `err p95 ${round(r[w].wall.errP95)} ms (by offset ${round(r[w].offset.errP95)}), spread p95 ${round(r[w].wall.spreadP95)}, frame p95 ${round(r[w].wall.frameP95)} (rate 1 ${round(r[w].wall.frameP95AtRate1)}, other ${round(r[w].wall.frameP95AtOtherRates)}, wall ${round(r[w].wall.frameP95Wall)})`;
      for (const [kind, r] of [['app', app], ['naive', ref]]) {
        if (r) log(`browser ${network}: ${kind} steady ${fmt(r, 'steady')}, p99 ${round(r.steady.wall.errP99)}; transition ${fmt(r, 'transition')}`);
      }
      const loop = network === 'loopback';
      const params = {
        engine: 'chromium',
        network: loop ? 'loopback' : 'proxy 100±30 ms per chunk each way',
        followers: FOLLOWERS,
        runSeconds: durationS,
        clip: `${clipSeconds} s 640x360 30 fps H.264/AAC fMP4 HLS, 2 s segments`,
        measuredAgainst: "the page's Date.now() and the server's clock (one machine: one clock); offsetBased* params: against the app's own offset estimate",
        reference: 'bench/naive/index.html: same clock sync, seeks only when > 1 s off',
        referenceRun: together ? 'same party, side by side with the app followers' : 'separate party, right after the app followers',
        ...(ackErrors.length ? { ackErrors } : {}),
      };
      const windowParams = (w) => ({
        window: w,
        windowDefinition: `group playing and >= ${WINDOWS[w]} ms after the last command (server time)`,
      });
      const fig = (name, w, key, target, extra = {}) => {
        const error = errors.app ?? (errors.naive ? `reference failed: ${errors.naive}` : undefined);
        const v = (r, by = 'wall') => (r ? round(r[w][by][key], 3) : null);
        emit({
          name,
          value: v(app),
          unit: 'ms',
          reference: v(ref),
          ...(error ? { error } : {}),
          params: {
            ...params,
            ...windowParams(w),
            ...(target ? { target } : {}),
            ...(app
              ? {
                  samples: app[w].wall.n,
                  wholeRunErrP95Ms: round(app.wholeRunP95),
                  errMaxMs: round(app[w].wall.errMax),
                  ...(key === 'spreadP95' ? {} : { offsetBasedMs: v(app, 'offset'), referenceOffsetBasedMs: v(ref, 'offset') }),
                }
              : {}),
            ...(ref ? { referenceSamples: ref[w].wall.n, referenceWholeRunErrP95Ms: round(ref.wholeRunP95) } : {}),
            ...(app?.pageErrors.length ? { pageErrors: app.pageErrors } : {}),
            ...extra,
          },
        });
      };
      const frameNote = {
        frameError:
          '|mediaTime - expected position at expectedDisplayTime| per presented frame (requestVideoFrameCallback), media ms, at its first display. Even a perfect follower scores up to about one vsync: Chromium shows each 30 fps frame for two 60 Hz vsyncs on a grid it picks when playback starts (rarely again at a pause or seek), and rate writes move the element clock but the picture only by whole frames (bench/probe-frame-grid.mjs); so at rate 1 each scene shows one value, anywhere within about 17 ms either side, set by that grid against the group timeline; at rate 1.5 three values 8.3 ms apart across 25 media ms (a vsync is 25 media ms)',
        ...(app
          ? {
              atRate1Ms: round(app.steady.wall.frameP95AtRate1, 3),
              atOtherRatesMs: round(app.steady.wall.frameP95AtOtherRates, 3),
              wallMs: round(app.steady.wall.frameP95Wall, 3),
              wallMsMeaning: 'the same frames, error / group rate: how early or late the picture is shown, in ms of time',
            }
          : {}),
        ...(app?.noRvfc ? { note: 'requestVideoFrameCallback unavailable' } : {}),
      };
      const transitionOf = (key) => (app ? { transitionMs: round(app.transition.wall[key], 3) } : {});
      fig('browser_sync_error_p50_ms', 'steady', 'errP50', null);
      fig('browser_sync_error_p95_ms', 'steady', 'errP95', loop ? 'value < 10 ms, p99 < 5 ms' : 'value < 20 ms', {
        ...(app ? { p99Ms: round(app.steady.wall.errP99, 3), offsetBasedP99Ms: round(app.steady.offset.errP99, 3) } : {}),
        ...(ref ? { referenceP99Ms: round(ref.steady.wall.errP99, 3) } : {}),
      });
      fig('browser_sync_error_p95_ms', 'transition', 'errP95', loop ? 'value < 10 ms' : 'value < 20 ms', {
        ...(app ? { p99Ms: round(app.transition.wall.errP99, 3) } : {}),
      });
      fig('browser_pairwise_spread_p95_ms', 'steady', 'spreadP95', loop ? 'value < 10 ms' : 'value < 20 ms', transitionOf('spreadP95'));
      fig('browser_frame_error_p95_ms', 'steady', 'frameP95', 'value < 17 ms', { ...frameNote, ...transitionOf('frameP95') });
    }
  } finally {
    await browser.close().catch(() => undefined);
    await api.stop();
    await stat.close();
  }
}
