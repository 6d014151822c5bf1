// Figure 6: live_glass_to_glass_s (HLS) and live_glass_to_glass_ws_s (sub-second WebSocket delivery).
// The built server (RTMP_PORT on a free loopback port) gets a show; ffmpeg publishes a generated
// test pattern to it over RTMP in real time (the e2e publisher: 640x360 30 fps, x264 veryfast
// zerolatency, 1 s GOP, AAC). Once the show's playlist lists 3 segments, headless Chromium opens
// /live/:id; once it plays, window.__wpLive.latencyMs() (Date.now() - hls.playingDate, i.e. now
// minus the PROGRAM-DATE-TIME of the frame on screen) is sampled every 500 ms for 20 s (8 s quick).
// value = median, in seconds.
// Reference, same run, right after: the same RTMP publisher into a plain ffmpeg listener packaging
// with typical settings (x264 veryfast, 2 s GOP, -f hls -hls_time 6 -hls_list_size 6,
// program_date_time), files served by the bench's static server, played by hls.js with its
// default config in a plain page, sampled the same way.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { serveStatic } from './lib/static-server.mjs';
import {
  LOOPBACK,
  ROOT,
  freePort,
  log,
  makeTempDir,
  percentile,
  postJson,
  removeTempDir,
  round,
  sleep,
  spawnTracked,
  startApi,
  stopChild,
} from './lib/util.mjs';

const SAMPLE_EVERY_MS = 500;
const JOIN_AFTER_SEGMENTS = 3;


/** The e2e publisher (apps/web-e2e/src/live.e2e.spec.ts): a test pattern over RTMP, in real time. */
function publish(url) {
  // prettier-ignore
  return spawnTracked('ffmpeg', [
    '-hide_banner', '-v', 'error', '-nostdin', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '600',
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '64k',
    '-f', 'flv', url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Publishes; retries while the receiving end is not listening yet (the publisher exits at once). */
async function publishWithRetry(url, tries = 20) {
  for (let i = 0; ; i++) {
    const child = publish(url);
    const exited = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(2500).then(() => false)]);
    if (!exited) return child;
    if (i + 1 >= tries) throw new Error(`ffmpeg could not publish to ${url}: ${child.output.slice(-500)}`);
    await sleep(300);
  }
}

/** Polls an HLS playlist until it lists `n` segments; returns its EXT-X-TARGETDURATION. */
async function waitForSegments(url, n, timeoutMs, alive) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    alive?.();
    try {
      const res = await fetch(url);
      if (res.ok) {
        last = await res.text();
        const count = last.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length;
        if (count >= n) return Number(/#EXT-X-TARGETDURATION:(\d+(?:\.\d+)?)/.exec(last)?.[1] ?? Number.NaN);
      }
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} never listed ${n} segments: ${last.slice(0, 300)}`);
    await sleep(250);
  }
}

/**
 * Opens `url`, waits until the video plays (currentTime > 1 s and a latency is known), then
 * samples `window[handle].latencyMs()` every 500 ms for `seconds`.
 */
async function sampleLatency(browser, url, { seconds, handle, timeoutMs, transport }) {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  // The app publishes window.__wpLive only with this flag (DebugHandlesService).
  await context.addInitScript(() => localStorage.setItem('wp.debug', '1'));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url);
    const t0 = performance.now();
    try {
      await page.waitForFunction(
        (h) => {
          const v = window[h]?.video;
          const l = window[h]?.latencyMs();
          return !!v && !v.paused && v.currentTime > 1 && typeof l === 'number' && Number.isFinite(l);
        },
        handle,
        { timeout: timeoutMs, polling: 100 },
      );
    } catch (err) {
      const why = await page
        .evaluate((h) => {
          const v = window[h]?.video;
          return JSON.stringify({ readyState: v?.readyState, currentTime: v?.currentTime, paused: v?.paused, error: v?.error?.message });
        }, handle)
        .catch((e) => String(e));
      throw new Error(`${url} did not play: ${why} ${errors.join('; ')} (${String(err.message ?? err).split('\n')[0]})`);
    }
    const startupMs = performance.now() - t0;
    if (transport) {
      const used = await page.evaluate((h) => window[h]?.transport ?? null, handle);
      if (used !== transport) throw new Error(`${url} played over ${used}, not ${transport}`);
    }
    const samples = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const tick = performance.now();
      const ms = await page.evaluate((h) => window[h]?.latencyMs() ?? null, handle);
      if (typeof ms === 'number' && Number.isFinite(ms)) samples.push(ms);
      const wait = SAMPLE_EVERY_MS - (performance.now() - tick);
      if (wait > 0) await sleep(wait);
    }
    return { samples, startupMs, pageErrors: errors.slice(0, 3) };
  } finally {
    await context.close().catch(() => undefined);
  }
}

const summarize = (r) => ({
  median: percentile(r.samples, 50) / 1000,
  p90: percentile(r.samples, 90) / 1000,
  n: r.samples.length,
});

/** The app: built server, show, RTMP publisher, /live/:id. */
async function measureApp(browser, seconds) {
  const rtmpPort = await freePort();
  const api = await startApi({ RTMP_PORT: String(rtmpPort) });
  let publisher = null;
  try {
    const created = await postJson(`${api.url}/api/live`, { title: 'bench live', creatorName: 'Bench' });
    const id = created.show.id;
    const rtmpUrl = `rtmp://${LOOPBACK}:${rtmpPort}/live/${created.streamKey}`;
    publisher = await publishWithRetry(rtmpUrl);
    const segmentS = await waitForSegments(`${api.url}/api/live/${id}/hls/index.m3u8`, JOIN_AFTER_SEGMENTS, 30000, () => {
      if (publisher.exitCode !== null) throw new Error(`publisher exited: ${publisher.output.slice(-500)}`);
    });
    // The same show, the same publisher: the audience page over HLS only, then as it plays by
    // default (sub-second WebSocket delivery, /live-watch).
    const r = await sampleLatency(browser, `${api.url}/live/${id}?transport=hls`, {
      seconds,
      handle: '__wpLive',
      timeoutMs: 30000,
    });
    let ws = null;
    let wsError = null;
    try {
      ws = await sampleLatency(browser, `${api.url}/live/${id}`, { seconds, handle: '__wpLive', timeoutMs: 30000, transport: 'ws' });
    } catch (err) {
      wsError = String(err.message ?? err).split('\n')[0];
    }
    return { ...r, segmentS, ws, wsError };
  } finally {
    await stopChild(publisher, 2000);
    await api.stop();
  }
}

const REF_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>reference live player</title></head>
<body><video id="v" muted playsinline width="640" height="360"></video>
<script src="/vendor/hls.min.js"></script>
<script>
  const video = document.getElementById('v');
  const hls = new Hls(); // hls.js defaults
  window.__ref = { hls, video, latencyMs: () => (hls.playingDate ? Date.now() - hls.playingDate.getTime() : null) };
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => undefined));
  hls.attachMedia(video);
  hls.loadSource(new URLSearchParams(location.search).get('src'));
</script></body></html>
`;

/** The reference: plain ffmpeg RTMP listener -> 6 s HLS on disk -> static server -> default hls.js. */
async function measureReference(browser, seconds) {
  const dir = makeTempDir('live-ref');
  const hlsDir = join(dir, 'hls');
  writeFileSync(join(dir, 'index.html'), REF_PAGE);
  mkdirSync(hlsDir);
  const stat = await serveStatic({
    '/ref/': dir,
    '/vendor/hls.min.js': join(ROOT, 'node_modules/hls.js/dist/hls.min.js'),
  });
  const rtmpPort = await freePort();
  const rtmpUrl = `rtmp://${LOOPBACK}:${rtmpPort}/live/ref`;
  // prettier-ignore
  const packager = spawnTracked('ffmpeg', [
    '-hide_banner', '-v', 'error', '-nostdin', '-y',
    '-listen', '1', '-f', 'flv', '-i', rtmpUrl,
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k',
    '-f', 'hls', '-hls_time', '6', '-hls_list_size', '6', '-hls_flags', 'program_date_time+delete_segments',
    '-hls_segment_filename', join(hlsDir, 'seg_%d.ts'),
    join(hlsDir, 'index.m3u8'),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let publisher = null;
  try {
    await sleep(500);
    publisher = await publishWithRetry(rtmpUrl);
    const segmentS = await waitForSegments(stat.url('/ref/hls/index.m3u8'), JOIN_AFTER_SEGMENTS, 60000, () => {
      if (packager.exitCode !== null) throw new Error(`reference ffmpeg exited: ${packager.output.slice(-500)}`);
      if (publisher.exitCode !== null) throw new Error(`publisher exited: ${publisher.output.slice(-500)}`);
    });
    const q = new URLSearchParams({ src: stat.url('/ref/hls/index.m3u8') });
    const r = await sampleLatency(browser, stat.url(`/ref/index.html?${q}`), {
      seconds,
      handle: '__ref',
      timeoutMs: 45000,
    });
    return { ...r, segmentS };
  } finally {
    await stopChild(publisher, 2000);
    await stopChild(packager, 3000);
    await stat.close();
    removeTempDir(dir);
  }
}

export async function liveBench({ quick, emit }) {
  const seconds = quick ? 8 : 20;
  const browser = await launchChromium();
  let app = null;
  let ref = null;
  let error;
  let refError;
  try {
    try {
      app = await measureApp(browser, seconds);
    } catch (err) {
      error = String(err.message ?? err).split('\n')[0];
    }
    try {
      ref = await measureReference(browser, seconds);
    } catch (err) {
      refError = String(err.message ?? err).split('\n')[0];
    }
  } finally {
    await browser.close().catch(() => undefined);
  }
  const a = app && app.samples.length ? summarize(app) : null;
  const b = ref && ref.samples.length ? summarize(ref) : null;
  if (app && !a) error ??= 'no latency samples from the app page';
  if (ref && !b) refError ??= 'no latency samples from the reference page';
  if (a) log(`live app: median ${round(a.median)} s, p90 ${round(a.p90)} s (${a.n} samples)`);
  if (b) log(`live reference: median ${round(b.median)} s, p90 ${round(b.p90)} s (${b.n} samples)`);
  const failure = error ?? (refError ? `reference failed: ${refError}` : undefined);
  emit({
    name: 'live_glass_to_glass_s',
    value: a ? a.median : null,
    unit: 's',
    reference: b ? b.median : null,
    ...(failure ? { error: failure } : {}),
    params: {
      target: 'value < 3 s',
      p90: a ? round(a.p90, 3) : null,
      samples: a ? a.n : 0,
      segmentSeconds: app?.segmentS ?? null,
      sampling: `Date.now() - hls.playingDate (PROGRAM-DATE-TIME of the frame on screen) every ${SAMPLE_EVERY_MS} ms for ${seconds} s, from when the page plays`,
      input: 'ffmpeg RTMP publisher, testsrc2 640x360 30 fps, x264 veryfast zerolatency, 1 s GOP, AAC, real time (-re)',
      join: `viewer opens the page once the playlist lists ${JOIN_AFTER_SEGMENTS} segments`,
      ...(app ? { startupMs: Math.round(app.startupMs) } : {}),
      reference:
        'plain ffmpeg RTMP listener, x264 veryfast 2 s GOP, -f hls -hls_time 6 -hls_list_size 6 -hls_flags program_date_time, static server, hls.js default config',
      ...(b ? { referenceP90: round(b.p90, 3), referenceSamples: b.n, referenceSegmentSeconds: ref.segmentS } : {}),
      ...(app?.pageErrors.length ? { pageErrors: app.pageErrors } : {}),
    },
  });
  // Sub-second delivery over WebSocket, same show and publisher, against the same reference.
  const w = app?.ws && app.ws.samples.length ? summarize(app.ws) : null;
  if (w) log(`live app over WebSocket: median ${round(w.median)} s, p90 ${round(w.p90)} s (${w.n} samples)`);
  const wsFailure = error ?? app?.wsError ?? (app && !w ? 'no latency samples over WebSocket' : undefined) ?? (refError ? `reference failed: ${refError}` : undefined);
  emit({
    name: 'live_glass_to_glass_ws_s',
    value: w ? w.median : null,
    unit: 's',
    reference: b ? b.median : null,
    ...(wsFailure ? { error: wsFailure } : {}),
    params: {
      target: 'value p50 < 1.0 s on loopback',
      p90: w ? round(w.p90, 3) : null,
      samples: w ? w.n : 0,
      sampling: `window.__wpLive.latencyMs() over /live-watch (now - the wallclock at which the newest fragment's input reached the server + seconds behind the buffer end - one fragment; approximate: the publisher's upload is not counted) every ${SAMPLE_EVERY_MS} ms for ${seconds} s`,
      hlsFigureSameRun: a ? round(a.median, 3) : null,
      ...(app?.ws ? { startupMs: Math.round(app.ws.startupMs) } : {}),
      reference: 'the plain-ffmpeg HLS reference of live_glass_to_glass_s, same run',
    },
  });
}
