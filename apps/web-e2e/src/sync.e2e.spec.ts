import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type ClipServer, ensureClip, serveDir } from './clip';
import { type Member, createParty, errorMs, joinParty, openAs, percentile, round, waitForMedia } from './party';

/** Followers must sit within this of the group position 2 s after any command. */
const TOLERANCE_MS = 50;
const SETTLE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a 100 ms in-page sampler of currentTime − expected, stamped with server time. */
async function startSampler(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__wpSamples = [];
    const timer = setInterval(() => {
      const sync = window.__wpSync;
      if (!sync?.state) return;
      const s = sync.sample();
      window.__wpSamples?.push({
        t: performance.now() + sync.offsetMs,
        err: (s.current - s.expected) * 1000,
        playing: sync.state.playing,
        sinceCommandMs: performance.now() + sync.offsetMs - sync.state.at,
      });
    }, 100);
    (window as unknown as { __wpSampler: unknown }).__wpSampler = timer;
  });
}

type Check = { label: string; name: string; errMs: number; latencyMs: number; residualMs: number | null };
type Series = { t: number; err: number; playing: boolean; sinceCommandMs: number }[];

async function stopSampler(page: Page): Promise<Series> {
  return page.evaluate(() => {
    clearInterval((window as unknown as { __wpSampler: number }).__wpSampler);
    return (window.__wpSamples ?? []) as Series;
  });
}

/** Seeks through the real seek bar (drag = input events, release = change). */
async function seekWithBar(page: Page, seconds: number): Promise<void> {
  await page.locator('[data-testid="seek"]').evaluate((el, s) => {
    const input = el as HTMLInputElement;
    input.value = String(s);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, seconds);
}

async function stateRev(page: Page): Promise<number> {
  return page.evaluate(() => window.__wpSync?.state?.rev ?? -1);
}

describe('group playback in sync across real browsers', () => {
  let server: BuiltServer;
  let clip: ClipServer;
  let browser: Browser;
  let host: Member;
  let followers: Member[];

  beforeAll(async () => {
    const [dir, started] = await Promise.all([ensureClip(), startBuiltServer()]);
    server = started;
    clip = await serveDir(dir);
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
    const hostId = await createParty(server.url, 'Alice');
    const ids = await Promise.all(['Bob', 'Cleo'].map((n) => joinParty(server.url, hostId.sessionId, n)));
    host = await openAs(browser, server.url, hostId);
    followers = await Promise.all(ids.map((id) => openAs(browser, server.url, id)));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await clip?.close();
    await server?.close();
  });

  it('a controller picks an HLS link and every player loads it', async () => {
    await host.page.fill('[data-testid="source-url"]', clip.url('hls/index.m3u8'));
    await host.page.click('[data-testid="source-submit"]');
    await Promise.all([host, ...followers].map((m) => waitForMedia(m.page)));
    for (const m of followers) {
      expect(await m.page.locator('[data-testid="player-empty"]').count()).toBe(0);
    }
  });

  it('play, pause, seek and rate 1.5: every follower within 50 ms of the group 2 s later', async () => {
    const all = [host, ...followers];
    await Promise.all(all.map((m) => startSampler(m.page)));
    const checks: Check[] = [];
    const check = async (label: string) => {
      await sleep(SETTLE_MS);
      for (const m of all) {
        const [err, learned] = await Promise.all([
          errorMs(m.page),
          m.page.evaluate(() => ({ l: window.__wpSync?.playLatencyMs ?? NaN, r: window.__wpSync?.lastResidualMs ?? null })),
        ]);
        checks.push({ label, name: m.identity.name, errMs: err, latencyMs: learned.l, residualMs: learned.r });
      }
    };

    await host.page.click('[data-testid="play-pause"]');
    await check('play');
    await sleep(4000);
    await host.page.click('[data-testid="play-pause"]');
    await check('pause');
    const paused = await host.page.evaluate(() => window.__wpSync?.state);
    expect(paused?.playing).toBe(false);
    await host.page.keyboard.press('k'); // shortcut, focus is on the player
    await check('play again');
    await seekWithBar(host.page, 30);
    await check('seek to 30 s');
    await sleep(3000);
    await host.page.click('[data-testid="rate"]');
    await host.page.click('[role="menuitemradio"][data-value="1.5"]');
    await check('rate 1.5');
    await sleep(4000);
    await host.page.keyboard.press('ArrowLeft');
    await check('seek -5 s (keyboard)');

    const series = await Promise.all(all.map((m) => stopSampler(m.page)));
    report(all, series, checks);
    for (const c of checks.filter((c) => c.name !== host.identity.name)) {
      expect({ ...c, ok: Math.abs(c.errMs) < TOLERANCE_MS }).toEqual({ ...c, ok: true });
    }
    const state = await host.page.evaluate(() => window.__wpSync?.state);
    expect(state).toMatchObject({ playing: true, rate: 1.5 });
  }, 60_000);

  it("a viewer's controls are disabled and a forced command is refused", async () => {
    const viewer = followers[0].page;
    for (const id of ['play-pause', 'seek', 'rate']) {
      expect(await viewer.locator(`[data-testid="${id}"]`).isDisabled()).toBe(true);
    }
    await expect(viewer.locator('[data-testid="control-hint"]').innerText()).resolves.toContain(
      'Only Alice (host) can control playback',
    );
    const before = await stateRev(host.page);
    // Keyboard shortcuts do nothing either.
    await viewer.locator('[data-testid="player"]').focus();
    await viewer.keyboard.press('k');
    const ack = await viewer.evaluate(() => window.__wpSync?.emit('playback:control', { action: 'pause' }));
    expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await sleep(300);
    expect(await stateRev(host.page)).toBe(before);
    expect(await stateRev(viewer)).toBe(before);
    expect(await host.page.evaluate(() => window.__wpSync?.state?.playing)).toBe(true);
  });

  it('a follower whose network drops resumes in sync after reconnecting', async () => {
    const [, dropped] = followers;
    await dropped.context.setOffline(true);
    await dropped.page.evaluate(() => window.__wpSync?.dropConnection());
    await dropped.page.waitForSelector('[data-testid="reconnecting"]');
    // The group moves on while it is away.
    await host.page.keyboard.press('ArrowRight');
    await sleep(1500);
    const revWhileAway = await stateRev(host.page);
    expect(await stateRev(dropped.page)).toBeLessThan(revWhileAway);
    await dropped.context.setOffline(false);
    await dropped.page.waitForSelector('[data-testid="reconnecting"]', { state: 'detached', timeout: 15_000 });
    expect(await stateRev(dropped.page)).toBe(revWhileAway);
    await sleep(SETTLE_MS);
    const err = await errorMs(dropped.page);
    console.log(`reconnect: follower error ${round(err)} ms ${SETTLE_MS} ms after the snapshot`);
    expect(Math.abs(err)).toBeLessThan(TOLERANCE_MS);
  }, 40_000);
});

function stats(values: number[]): string {
  if (values.length === 0) return 'no samples';
  return `p50 ${round(percentile(values, 50), 2)} ms, p95 ${round(percentile(values, 95), 2)} ms, max ${round(Math.max(...values), 1)} ms (n=${values.length})`;
}

/** Follower A's and B's errors sampled within 50 ms of each other (server time): |errA − errB|. */
function spread(a: Series, b: Series): { sinceCommandMs: number; ms: number }[] {
  const out: { sinceCommandMs: number; ms: number }[] = [];
  let j = 0;
  for (const s of a) {
    while (j + 1 < b.length && Math.abs(b[j + 1].t - s.t) <= Math.abs(b[j].t - s.t)) j++;
    if (b[j] && Math.abs(b[j].t - s.t) <= 50) {
      out.push({ sinceCommandMs: Math.min(s.sinceCommandMs, b[j].sinceCommandMs), ms: Math.abs(s.err - b[j].err) });
    }
  }
  return out;
}

function report(members: Member[], series: Series[], checks: Check[]): void {
  const lines = ['sync e2e (HLS fMP4 640x360, host + 2 followers in 3 Chromium contexts, one machine):'];
  lines.push('  error 2 s after each command (currentTime − expected) | learned play() latency L | residual at the last start:');
  for (const c of checks) {
    const residual = c.residualMs === null ? '-' : `${round(c.residualMs, 1)} ms`;
    lines.push(`    ${c.label.padEnd(22)} ${c.name.padEnd(6)} ${String(round(c.errMs, 2)).padStart(7)} ms | L ${round(c.latencyMs, 1)} ms | ${residual}`);
  }
  const windows: [string, number][] = [
    ['whole run, incl. transitions', 0],
    ['>= 1 s after a command', 1000],
    ['>= 2 s after a command', 2000],
  ];
  series.forEach((samples, i) => {
    lines.push(`  ${members[i].identity.name} |error| sampled every 100 ms:`);
    for (const [label, from] of windows) {
      lines.push(`    ${label.padEnd(30)} ${stats(samples.filter((s) => s.sinceCommandMs >= from).map((s) => Math.abs(s.err)))}`);
    }
  });
  const pairs = spread(series[1], series[2]);
  lines.push('  follower pairwise spread |errB − errC|:');
  for (const [label, from] of windows) {
    lines.push(`    ${label.padEnd(30)} ${stats(pairs.filter((p) => p.sinceCommandMs >= from).map((p) => p.ms))}`);
  }
  console.log(lines.join('\n'));
}
