#!/usr/bin/env node
// Screenshots of every page, for looking at the UI, not a test: after `npm run build`,
//   node apps/web-e2e/scripts/screenshots.mjs <out-dir>      (or: npm run screenshots -- <out-dir>)
// Starts the built server (dist/apps/api/main.js, temp DATA_DIR/MEDIA_DIR, 127.0.0.1 only),
// generates a clip with ffmpeg, makes a party with a host and a guest, and captures each page
// at 1366x800 and 390x844 in the dark and light themes. It also prints where the source picker
// and the upload progress sit on the watch page (they should be inside the first screen).
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
const { launchChromium } = createRequire(import.meta.url)('../src/chromium-launcher.cjs');

const VIEWPORTS = [
  { name: 'wide', width: 1366, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];
const SCHEMES = ['dark', 'light'];
const WAIT_MS = 20_000;

const outDir = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node apps/web-e2e/scripts/screenshots.mjs <out-dir>');
  process.exit(2);
}
if (!existsSync(MAIN) || !existsSync(join(ROOT, 'dist/apps/web/browser/index.html'))) {
  console.error('no build found: run `npm run build` first');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const cleanups = [];
const temp = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

function run(command, args) {
  return new Promise((res, rej) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${command} exited with ${code}: ${stderr}`))));
  });
}

function listen(server) {
  return new Promise((res, rej) => {
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => res(server.address().port));
  });
}

async function freePort() {
  const server = createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  return port;
}

async function startServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: temp('wp-shots-data-'),
      MEDIA_DIR: temp('wp-shots-media-'),
      RTMP_PORT: '0',
      SESSION_CREATE_PER_MIN: '1000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  cleanups.unshift(async () => {
    if (child.exitCode !== null) return;
    await new Promise((r) => {
      child.once('exit', r);
      child.kill('SIGTERM');
    });
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer:\n${output}`);
}

/** A 30 s test clip served with CORS and byte ranges (what <video> needs). */
async function serveClip() {
  const dir = temp('wp-shots-clip-');
  const file = join(dir, 'clip.mp4');
  await run(process.env.FFMPEG_PATH ?? 'ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', '30', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', file,
  ]);
  const size = statSync(file).size;
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'video/mp4');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range?.[1] ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    res.writeHead(range ? 206 : 200, {
      'Content-Length': end - start + 1,
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file, { start, end }).pipe(res);
  });
  const port = await listen(server);
  cleanups.unshift(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${port}/clip.mp4`, file };
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function party(server, name, hostName) {
  const r = await post(`${server}/api/sessions`, { hostName, name });
  return { sessionId: r.session.id, participantId: r.participantId, token: r.token, name: hostName };
}

async function joinParty(server, sessionId, name) {
  const r = await post(`${server}/api/sessions/${sessionId}/participants`, { name });
  return { sessionId, participantId: r.participantId, token: r.token, name };
}

const main = async () => {
  const server = await startServer();
  const clip = await serveClip();
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  cleanups.unshift(() => browser.close());
  const show = await post(`${server}/api/live`, { title: 'Friday night show', creatorName: 'Cleo' });
  const measures = [];

  // One video in the library, so the library page and the picker's list have something to show.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${server}/library`);
    await page.setInputFiles('[data-testid="upload-input"]', clip.file);
    await page.waitForSelector('[data-testid="upload-done"]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid="media-item"] img', { timeout: 60_000 }).catch(() => undefined);
    await ctx.close();
  }

  for (const scheme of SCHEMES) {
    for (const vp of VIEWPORTS) {
      const tag = `${vp.name}-${scheme}`;
      const shot = async (page, name, options = {}) => {
        const path = join(outDir, `${name}-${tag}.png`);
        await page.screenshot({ path, ...options });
        console.log(path);
      };
      const context = async (identity) => {
        const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, colorScheme: scheme });
        await ctx.addInitScript(() => localStorage.setItem('wp.debug', '1'));
        if (identity) {
          await ctx.addInitScript(
            ([key, value]) => localStorage.setItem(key, value),
            [`wp.identity.${identity.sessionId}`, JSON.stringify({ token: identity.token, participantId: identity.participantId, name: identity.name })],
          );
        }
        return ctx;
      };
      const open = async (identity, path) => {
        const ctx = await context(identity);
        const page = await ctx.newPage();
        page.on('pageerror', (e) => console.error(`[${tag} ${path}] page error: ${e.message}`));
        await page.goto(`${server}${path}`);
        return { ctx, page };
      };
      const emit = (page, event, payload) =>
        page.evaluate(([e, p]) => window.__wpSync.emit(e, p), [event, payload]);
      const ready = (page) => page.waitForFunction(() => window.__wpSync?.state != null, undefined, { timeout: WAIT_MS });
      const measure = (page, what) =>
        page.evaluate(
          ([w, h]) => {
            const rect = (sel) => document.querySelector(sel)?.getBoundingClientRect() ?? null;
            const top = (sel) => (rect(sel) ? Math.round(rect(sel).top) : null);
            const bottom = (sel) => (rect(sel) ? Math.round(rect(sel).bottom) : null);
            return { what: w, viewportHeight: h, pickerTop: top('wp-source-picker'), uploadBarBottom: bottom('[data-testid="upload-progress"] [role="progressbar"]') };
          },
          [what, vp.height],
        );

      // The upload's progress bar, held mid-way by a slow upload link, and where it sits.
      const uploading = async ({ ctx, page }, name, what) => {
        const cdp = await ctx.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
        await page.click('[data-testid="source-tab-upload"]');
        await page.setInputFiles('[data-testid="upload-input"]', clip.file);
        await page.waitForSelector('[data-testid="upload-progress"]', { timeout: WAIT_MS });
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, name);
        measures.push({ tag, ...(await measure(page, what)) });
        const cancel = page.locator('[data-testid="upload-cancel"]');
        if (await cancel.count()) await cancel.click();
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
        await page.click('[data-testid="source-tab-link"]');
        await cdp.detach();
      };

      // ---- pages without a party ----
      for (const [name, path, selector] of [
        ['home', '/', 'h1'],
        ['library', '/library', 'h1'],
        ['live-list', '/live', 'h1'],
        ['go-live', '/go-live', 'h1'],
        ['live-show', `/live/${show.show.id}`, 'h1'],
      ]) {
        const { ctx, page } = await open(null, path);
        await page.waitForSelector(selector, { timeout: WAIT_MS });
        await page.waitForLoadState('networkidle').catch(() => undefined);
        await shot(page, name);
        await ctx.close();
      }

      // ---- a party without a source: join card, the host's room, the menu, a removed guest ----
      const host = await party(server, 'Movie night', 'Ann');
      const guest = await joinParty(server, host.sessionId, 'Bo');
      {
        const { ctx, page } = await open(null, `/watch/${host.sessionId}`);
        await page.waitForSelector('[data-testid="join-submit"]', { timeout: WAIT_MS });
        await shot(page, 'join-card');
        await ctx.close();
      }
      const hostSide = await open(host, `/watch/${host.sessionId}`);
      const guestSide = await open(guest, `/watch/${host.sessionId}`);
      await ready(hostSide.page);
      await ready(guestSide.page);
      await hostSide.page.waitForFunction(() => document.querySelectorAll('[data-testid="participant"]').length === 2, undefined, { timeout: WAIT_MS });
      await shot(hostSide.page, 'watch-no-source');
      measures.push({ tag, ...(await measure(hostSide.page, 'no source')) });
      await shot(hostSide.page, 'watch-no-source-full', { fullPage: true });

      await uploading(hostSide, 'watch-uploading', 'uploading, no source');

      // The participant menu, opened on the guest's row (tabs on phones: People first).
      {
        const page = hostSide.page;
        const peopleTab = page.locator('[data-testid="tab-people"]');
        if (await peopleTab.count()) await peopleTab.click();
        const trigger = page.locator(`[data-participant-id="${guest.participantId}"] [data-testid="participant-actions"]`);
        await trigger.scrollIntoViewIfNeeded();
        await trigger.click();
        await page.waitForSelector('[role="menu"]');
        await shot(page, 'watch-participant-menu');
        await page.keyboard.press('Escape');
      }

      // The guest is removed: what they see.
      {
        const page = hostSide.page;
        await page.locator(`[data-participant-id="${guest.participantId}"] [data-testid="participant-actions"]`).click();
        await page.click('[role="menuitem"]:has-text("Remove from party")');
        await page.click('[data-testid="remove-confirm-remove"]');
        await guestSide.page.waitForSelector('[data-testid="kicked"]', { timeout: WAIT_MS });
        await shot(guestSide.page, 'kicked');
      }
      await guestSide.ctx.close();
      await hostSide.ctx.close();

      // ---- a party playing a video: the room, chat on a phone, theater mode ----
      const host2 = await party(server, 'Friday film club', 'Ann');
      const guest2 = await joinParty(server, host2.sessionId, 'Bo');
      const h = await open(host2, `/watch/${host2.sessionId}`);
      await ready(h.page);
      await emit(h.page, 'source:set', { source: { kind: 'url', url: clip.url } });
      await h.page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2, undefined, { timeout: WAIT_MS });
      await emit(h.page, 'playback:control', { action: 'play' });
      for (const text of ['Hi all!', 'Popcorn ready 🍿', 'Starting now', 'This intro is great', 'Who picked this one?', 'Me :)']) {
        await emit(h.page, 'chat:send', { text });
      }
      const g = await open(guest2, `/watch/${host2.sessionId}`);
      await ready(g.page);
      await g.page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2, undefined, { timeout: WAIT_MS });
      await h.page.waitForTimeout(1500); // a moment of playback so the picture is not the first frame
      await shot(h.page, 'watch-playing');
      measures.push({ tag, ...(await measure(h.page, 'playing')) });
      await shot(h.page, 'watch-playing-full', { fullPage: true });
      await uploading(h, 'watch-uploading-playing', 'uploading, playing');
      await shot(g.page, 'watch-playing-guest');

      if (vp.name === 'phone') {
        // Scrolled down to the chat: the player stays pinned at the top.
        await g.page.locator('[data-testid="tab-chat"]').click();
        await g.page.locator('#panel-chat').scrollIntoViewIfNeeded();
        await g.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        await shot(g.page, 'watch-chat-open');
      } else {
        await h.page.evaluate(() => {
          (document.activeElement instanceof HTMLElement ? document.activeElement : null)?.blur();
          window.scrollTo(0, 0);
        });
        await h.page.keyboard.press('t');
        await h.page.waitForSelector('.watch-layout.theater');
        await h.page.waitForTimeout(300);
        await shot(h.page, 'watch-theater');
        await h.page.keyboard.press('t');
      }
      await g.ctx.close();
      await h.ctx.close();
    }
  }
  console.log('\nwhere the picker and the upload progress bar sit (px from the top of the window):');
  for (const m of measures) console.log(JSON.stringify(m));
};

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}
process.exit(failed ? 1 : 0);
