// Probe, not a figure: where Chromium puts a 30 fps picture against the display, and what a
// follower's actions do to it (why browser_frame_error_p95_ms cannot be steered; README,
// Performance). `node bench/probe-frame-grid.mjs [pages=3]`, ~25 s a page, after nothing but
// `npm ci` (hls.js from node_modules, a clip made by ffmpeg, Debian's Chromium).
//
// One headless Chromium page plays a generated 640x360 30 fps fMP4 HLS clip through hls.js
// (preservesPitch off, as the app plays). After each step below it plays 2 s at rate 1 and the
// second second is summed up from every presented frame (requestVideoFrameCallback):
// - picture − clock: mediaTime − the element clock (currentTime) at expectedDisplayTime, ms;
// - picture shift: how far the presented frames moved against the wall clock since the start,
//   ms, and what is left of it after whole frames (33.3 ms) are taken out ("sub-frame");
// - clock shift: the same for currentTime.
// Steps: rate write pairs that come back to the same position (0.99/1.01 for 250 ms each,
// 0.95/1.05 for 300 ms, 0.5/1.5 for 100 ms), pauses of 50, 58, 208 and 216 ms (whole and
// half vsyncs), and a seek while playing. On Chromium 156 here (three runs of 3 pages): the
// clock moves by any amount while the picture moves only by whole frames (sub-frame shift
// within ±0.3 ms) after every rate write pair (27 of 27), so which vsync of the two a frame
// first shows on is kept from the start of playback; a pause picked it again in 7 of 36 and a
// seek in 4 of 9, by chance. Talks to 127.0.0.1 only.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/chromium.mjs';
import { serveStatic } from './lib/static-server.mjs';
import { ROOT, makeHlsClip, makeTempDir, percentile, removeTempDir } from './lib/util.mjs';

const PAGES = Number(process.argv[2] ?? 3);
const FRAME_MS = 1000 / 30;
/** [label, action]: 'rate' [low, high, ms each], 'pause' [ms], 'seek' [s ahead]. */
const STEPS = [
  ['rate 0.99 / 1.01, 250 ms each', ['rate', 0.99, 1.01, 250]],
  ['rate 0.95 / 1.05, 300 ms each', ['rate', 0.95, 1.05, 300]],
  ['rate 0.5 / 1.5, 100 ms each', ['rate', 0.5, 1.5, 100]],
  ['pause 50 ms', ['pause', 50]],
  ['pause 58 ms', ['pause', 58]],
  ['pause 208 ms', ['pause', 208]],
  ['pause 216 ms', ['pause', 216]],
  ['seek 0.5 s ahead, playing', ['seek', 0.5]],
];

/** The part of `ms` left after whole frames are taken out, in (−FRAME_MS/2, FRAME_MS/2]. */
const subFrame = (ms) => {
  const r = ((ms % FRAME_MS) + FRAME_MS) % FRAME_MS;
  return r > FRAME_MS / 2 ? r - FRAME_MS : r;
};
const fmt = (x) => (x >= 0 ? ' ' : '') + x.toFixed(1);

const dir = makeTempDir('wp-frame-grid');
let browser;
let server;
try {
  await makeHlsClip(dir, 40);
  server = await serveStatic({
    '/clip/': dir,
    '/hls/': join(ROOT, 'node_modules/hls.js/dist'),
    '/probe.html': join(dirname(fileURLToPath(import.meta.url)), 'probe-frame-grid.html'),
  });
  browser = await launchChromium();
  // Per kind of step: how many, and how many moved the picture by part of a frame against the step before.
  const tally = { rate: [0, 0], pause: [0, 0], seek: [0, 0] };
  for (let n = 0; n < PAGES; n++) {
    const page = await browser.newPage();
    await page.goto(server.url('/probe.html'));
    await page.evaluate(() => window.ready);
    // A different start each page: position and the moment of play().
    await page.evaluate(async (n) => {
      const v = document.getElementById('v');
      v.currentTime = 2 + n * 0.0123;
      await window.sleep(500 + n * 7);
      await v.play();
    }, n);
    let base = null;
    const settle = async () => {
      const rows = await page.evaluate(async () => {
        window.rec = [];
        await window.sleep(2000);
        return window.rec.slice(Math.floor(window.rec.length / 2));
      });
      const med = (f) => percentile(rows.map(f), 50);
      // Measured at rate 1, so picture − clock is the difference of the two rows.
      const now = { pictureClock: med(([p, c]) => p - c), picture: med(([p]) => p), clock: med(([, c]) => c) };
      if (base === null) base = now;
      return {
        ...now,
        pictureShift: now.picture - base.picture,
        clockShift: now.clock - base.clock,
      };
    };
    console.log(`page ${n + 1}`);
    console.log(
      '  step                              picture−clock  picture shift (sub-frame)  clock shift',
    );
    const line = (label, s) =>
      console.log(
        `  ${label.padEnd(34)}${fmt(s.pictureClock).padStart(10)}  ${fmt(s.pictureShift).padStart(11)} (${fmt(subFrame(s.pictureShift))})${fmt(s.clockShift).padStart(17)}`,
      );
    let before = await settle();
    line('start', before);
    for (const [label, [kind, a, b, ms]] of STEPS) {
      await page.evaluate(
        async ([kind, a, b, ms]) => {
          const v = document.getElementById('v');
          if (kind === 'rate') {
            v.playbackRate = a;
            await window.sleep(ms);
            v.playbackRate = b;
            await window.sleep(ms);
            v.playbackRate = 1;
          } else if (kind === 'pause') {
            v.pause();
            await window.sleep(a);
            await v.play();
          } else {
            v.currentTime += a;
            await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
          }
        },
        [kind, a, b, ms],
      );
      const s = await settle();
      line(label, s);
      tally[kind][0]++;
      if (Math.abs(subFrame(s.pictureShift - before.pictureShift)) > 2) tally[kind][1]++;
      before = s;
    }
    await page.close();
  }
  const moved = (kind) => `${tally[kind][1]} of ${tally[kind][0]}`;
  console.log(
    `\nsteps that moved the picture by part of a frame (> 2 ms) against the step before: rate write pairs ${moved('rate')}, pauses ${moved('pause')}, seeks ${moved('seek')}`,
  );
} finally {
  await browser?.close();
  await server?.close();
  removeTempDir(dir);
}
