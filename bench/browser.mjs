// Figure 5: browser_sync_error_p50_ms / _p95_ms, browser_pairwise_spread_p95_ms,
// browser_frame_error_p95_ms.
// Three headless Chromium followers join a party through the real web app (/watch/:id, identity
// put in localStorage first) and play a 640x360 fMP4 HLS clip served by a loopback static
// server; the host, a Socket.IO client in this process, plays a fixed script of play, seek,
// rate 1.5, pause, play, seek, rate 1. Each follower samples currentTime - expected every
// 100 ms (window.__wpSync.sample()) and records every presented frame
// (requestVideoFrameCallback: mediaTime vs the expected position at expectedDisplayTime).
// Run once on loopback and once through a TCP proxy adding 100 ± 30 ms per chunk and direction
// between the browsers and the server.
// Reference, same run: three followers of bench/naive/index.html (same server, events, clock
// and hls.js; seeks only when more than 1 s off). With --quick the app and reference followers
// run side by side in the same party (6 pages at once) to fit the 3-minute budget; the full run
// measures them one after the other.
import { join } from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { io } from 'socket.io-client';
import { startDelayProxy } from './lib/delay-proxy.mjs';
import { serveStatic } from './lib/static-server.mjs';
import { BENCH_DIR, ROOT, log, makeHlsClip, makeTempDir, maxOf, percentile, postJson, round, sleep, startApi } from './lib/util.mjs';

const FOLLOWERS = 3;
/** Samples within this long after a command (server time) are transitions, not steady state. */
const SETTLE_MS = 1000;

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

/** In-page recorder: 100 ms samples and every presented frame, stamped with server time. */
function installRecorder() {
  const rec = { samples: [], frames: [], stopped: false };
  window.__benchRec = rec;
  const expectedAt = (s, t) => (s.playing ? s.position + (Math.max(0, t - s.at) / 1000) * s.rate : s.position);
  rec.timer = setInterval(() => {
    const sync = window.__wpSync;
    const st = sync?.state;
    if (!st) return;
    const s = sync.sample();
    const t = performance.now() + sync.offsetMs;
    rec.samples.push([t, (s.current - s.expected) * 1000, st.playing ? 1 : 0, t - st.at]);
  }, 100);
  const video = document.querySelector('video');
  if (video && 'requestVideoFrameCallback' in video) {
    const onFrame = (_now, meta) => {
      if (rec.stopped) return;
      const sync = window.__wpSync;
      const st = sync?.state;
      if (st) {
        const t = meta.expectedDisplayTime + sync.offsetMs;
        rec.frames.push([t, (meta.mediaTime - expectedAt(st, t)) * 1000, st.playing ? 1 : 0, t - st.at]);
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
  return { samples: rec.samples, frames: rec.frames, noRvfc: !!rec.noRvfc };
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
    throw new Error(`${f.name} not ready: ${why} ${f.errors.join('; ')}`);
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
async function runParty(browser, { api, base, staticUrl, src, kinds, durationS }) {
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
  for (const [kind, followers] of Object.entries(results)) {
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

const steady = (row) => row[2] === 1 && row[3] >= SETTLE_MS;

/** |errA - errB| for samples of two followers taken within 50 ms of each other (server time). */
function pairSpread(a, b) {
  const out = [];
  let j = 0;
  for (const s of a) {
    while (j + 1 < b.length && Math.abs(b[j + 1][0] - s[0]) <= Math.abs(b[j][0] - s[0])) j++;
    const o = b[j];
    if (o && Math.abs(o[0] - s[0]) <= 50 && steady(s) && steady(o)) out.push(Math.abs(s[1] - o[1]));
  }
  return out;
}

function analyse(followers) {
  const err = [];
  const all = [];
  const frames = [];
  const spread = [];
  for (const f of followers) {
    for (const s of f.samples) {
      if (!Number.isFinite(s[1])) continue;
      if (s[2] === 1) all.push(Math.abs(s[1]));
      if (steady(s)) err.push(Math.abs(s[1]));
    }
    for (const fr of f.frames) if (steady(fr) && Number.isFinite(fr[1])) frames.push(Math.abs(fr[1]));
  }
  for (let i = 0; i < followers.length; i++)
    for (let j = i + 1; j < followers.length; j++) for (const x of pairSpread(followers[i].samples, followers[j].samples)) spread.push(x);
  return {
    errP50: percentile(err, 50),
    errP95: percentile(err, 95),
    errMax: maxOf(err),
    spreadP95: percentile(spread, 95),
    frameP95: percentile(frames, 95),
    wholeRunP95: percentile(all, 95),
    n: { samples: err.length, pairs: spread.length, frames: frames.length },
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
      if (process.env.BENCH_DEBUG) debugDump(network, results);
      const app = results.app ? analyse(results.app) : null;
      const ref = results.naive ? analyse(results.naive) : null;
      if (app) log(`browser ${network}: app err p95 ${round(app.errP95)} ms, spread p95 ${round(app.spreadP95)}, frame p95 ${round(app.frameP95)}`);
      if (ref) log(`browser ${network}: naive err p95 ${round(ref.errP95)} ms, spread p95 ${round(ref.spreadP95)}, frame p95 ${round(ref.frameP95)}`);
      const loop = network === 'loopback';
      const params = {
        engine: 'chromium',
        network: loop ? 'loopback' : 'proxy 100±30 ms per chunk each way',
        followers: FOLLOWERS,
        runSeconds: durationS,
        clip: `${clipSeconds} s 640x360 30 fps H.264/AAC fMP4 HLS, 2 s segments`,
        window: `group playing and >= ${SETTLE_MS} ms after the last command (server time)`,
        reference: 'bench/naive/index.html: same clock sync, seeks only when > 1 s off',
        referenceRun: together ? 'same party, side by side with the app followers' : 'separate party, right after the app followers',
        ...(ackErrors.length ? { ackErrors } : {}),
      };
      const fig = (name, key, target, extra = {}) => {
        const error = errors.app ?? (errors.naive ? `reference failed: ${errors.naive}` : undefined);
        emit({
          name,
          value: app ? app[key] : null,
          unit: 'ms',
          reference: ref ? ref[key] : null,
          ...(error ? { error } : {}),
          params: {
            ...params,
            ...(target ? { target } : {}),
            ...(app ? { samples: app.n, wholeRunErrP95Ms: round(app.wholeRunP95), errMaxMs: round(app.errMax) } : {}),
            ...(ref ? { referenceSamples: ref.n, referenceWholeRunErrP95Ms: round(ref.wholeRunP95) } : {}),
            ...(app?.pageErrors.length ? { pageErrors: app.pageErrors } : {}),
            ...extra,
          },
        });
      };
      fig('browser_sync_error_p50_ms', 'errP50', null);
      fig('browser_sync_error_p95_ms', 'errP95', loop ? 'value < 10 ms' : 'value < 20 ms');
      fig('browser_pairwise_spread_p95_ms', 'spreadP95', loop ? 'value < 10 ms' : 'value < 20 ms');
      fig('browser_frame_error_p95_ms', 'frameP95', 'value < 17 ms', {
        frameError:
          '|mediaTime - expected position at expectedDisplayTime| per presented frame (requestVideoFrameCallback); a perfect follower at 60 Hz scores 0..16.7 ms',
        ...(app?.noRvfc ? { note: 'requestVideoFrameCallback unavailable' } : {}),
      });
    }
  } finally {
    await browser.close().catch(() => undefined);
    await api.stop();
    await stat.close();
  }
}
