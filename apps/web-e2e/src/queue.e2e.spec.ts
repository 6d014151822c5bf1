import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { type MediaInfo, makeShortClip, uploadMedia } from './clip';
import { launchChromium } from './chromium';
import { type Member, createParty, joinParty, openAs, percentile, round, waitForMedia } from './party';

const tid = (id: string) => `[data-testid="${id}"]`;

type SwitchWatch = { __switchAt?: number; __inBAt?: number; __errs?: { t: number; err: number }[] };

/**
 * Records in the page the wall-clock time (Date.now) at which the group state first has
 * rev > `rev` and when the <video> first has B loaded (its duration), then samples
 * currentTime − expected (ms) every 50 ms for 8 s.
 */
async function watchForSwitch(page: Page, rev: number, durationB: number): Promise<void> {
  await page.evaluate(([from, duration]) => {
    const w = window as unknown as SwitchWatch;
    delete w.__switchAt;
    delete w.__inBAt;
    w.__errs = [];
    const loaded = setInterval(() => {
      if (Math.abs((document.querySelector('video')?.duration ?? 0) - duration) < 0.3) {
        w.__inBAt = Date.now();
        clearInterval(loaded);
      }
    }, 5);
    const timer = setInterval(() => {
      const state = window.__wpSync?.state;
      if (state && state.rev > from) {
        w.__switchAt = Date.now();
        clearInterval(timer);
        const sampler = setInterval(() => {
          const sample = window.__wpSync?.sample();
          if (sample && !sample.paused) w.__errs?.push({ t: Date.now() - (w.__switchAt ?? 0), err: (sample.current - sample.expected) * 1000 });
          if (Date.now() - (w.__switchAt ?? 0) > 8000) clearInterval(sampler);
        }, 50);
      }
    }, 5);
  }, [rev, durationB] as const);
}

/** Median error (ms) a page sampled between `fromMs` and `toMs` after the switch. */
async function medianError(page: Page, fromMs: number, toMs: number): Promise<{ median: number; n: number }> {
  const errs = await page.evaluate(() => (window as unknown as SwitchWatch).__errs ?? []);
  const window_ = errs.filter((e) => e.t >= fromMs && e.t <= toMs).map((e) => e.err);
  return { median: percentile(window_, 50), n: window_.length };
}

const durationOf = (page: Page) => page.evaluate(() => document.querySelector('video')?.duration ?? Number.NaN);

describe('the shared queue in three browsers', () => {
  let server: BuiltServer;
  let browser: Browser;
  let workDir: string;
  let alpha: MediaInfo;
  let bravo: MediaInfo;
  let host: Member;
  let guests: Member[];
  const everyone = () => [host, ...guests];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-queue-'));
    const [started, launched] = await Promise.all([
      startBuiltServer(),
      launchChromium(),
      makeShortClip(join(workDir, 'alpha.mp4'), 6),
      makeShortClip(join(workDir, 'bravo.mp4'), 9),
    ]);
    server = started;
    browser = launched;
    [alpha, bravo] = await Promise.all([
      uploadMedia(server.url, join(workDir, 'alpha.mp4'), 'alpha.mp4'),
      uploadMedia(server.url, join(workDir, 'bravo.mp4'), 'bravo.mp4'),
    ]);
    const party = await createParty(server.url, 'Ann');
    const [bo, cy] = await Promise.all([joinParty(server.url, party.sessionId, 'Bo'), joinParty(server.url, party.sessionId, 'Cy')]);
    host = await openAs(browser, server.url, party, { width: 1366, height: 800 });
    guests = [await openAs(browser, server.url, bo), await openAs(browser, server.url, cy, { width: 390, height: 844 })];
  }, 90_000);

  afterAll(async () => {
    for (const member of [host, ...(guests ?? [])]) await member?.context.close();
    await browser?.close();
    await server?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('the host plays A and queues B through the UI; at the end of A everyone moves to B together', async () => {
    // Nothing plays: picking from the library plays it.
    await host.page.click(tid('source-tab-library'));
    await host.page.click(`${tid('library-pick')}:has-text("alpha")`);
    for (const member of everyone()) await waitForMedia(member.page);

    // Something plays now: the picker queues by default.
    expect(await host.page.isChecked(tid('choice-queue'))).toBe(true);
    await host.page.click(`${tid('library-pick')}:has-text("bravo")`);
    for (const member of everyone()) {
      await member.page.waitForFunction(
        () => [...document.querySelectorAll('[data-testid="queue-title"]')].map((t) => t.textContent).join() === 'bravo',
        undefined,
        { timeout: 5000 },
      );
    }
    expect(await guests[0].page.locator(tid('queue-added-by')).innerText()).toBe('Ann');

    // Play A from 3 s before its end; the server moves on to B when A's duration has played out.
    const rev = await host.page.evaluate(() => window.__wpSync?.state?.rev ?? -1);
    for (const member of everyone()) await watchForSwitch(member.page, rev + 1, bravo.durationSec ?? 9);
    const play = await host.page.evaluate(
      (position) => window.__wpSync?.emit('playback:control', { action: 'play', position }),
      (alpha.durationSec ?? 6) - 3,
    );
    expect(play?.ok).toBe(true);
    for (const member of everyone()) {
      await member.page.waitForFunction(() => (window as unknown as { __switchAt?: number }).__switchAt !== undefined, undefined, {
        timeout: 10_000,
      });
    }
    const switchedAt = await Promise.all(everyone().map((m) => m.page.evaluate(() => (window as unknown as SwitchWatch).__switchAt ?? 0)));
    const spreadMs = Math.max(...switchedAt) - Math.min(...switchedAt);
    // Each <video> has B loaded (B's duration) within 1 s of the first one.
    for (const member of everyone()) {
      await member.page.waitForFunction(() => (window as unknown as SwitchWatch).__inBAt !== undefined, undefined, { timeout: 5000 });
    }
    const inBAt = await Promise.all(everyone().map((m) => m.page.evaluate(() => (window as unknown as SwitchWatch).__inBAt ?? 0)));
    const loadSpreadMs = Math.max(...inBAt) - Math.min(...inBAt);
    console.log(`B's state reached the 3 browsers within ${spreadMs} ms; their <video>s had B loaded within ${loadSpreadMs} ms`);
    expect(spreadMs).toBeLessThan(1000);
    expect(loadSpreadMs).toBeLessThan(1000);

    // The queue is empty for everyone and the group plays B.
    for (const member of everyone()) {
      expect(round(await durationOf(member.page))).toBeCloseTo(bravo.durationSec ?? 9, 0);
      await member.page.waitForSelector(tid('queue-empty'), { timeout: 5000 });
      const state = await member.page.evaluate(() => window.__wpSync?.state);
      expect(state).toMatchObject({ playing: true, rev: rev + 2, action: 'source' });
    }

    // After ~3 s of B the players agree within 10 ms: each one's median error (currentTime −
    // group position, sampled every 50 ms in the page) from 3.5 to 4.5 s after the switch.
    // (Loading B takes 1-1.5 s here; the followers then converge from a few tens of ms.)
    await host.page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) >= 4.7, undefined, { timeout: 10_000 });
    const errors = await Promise.all(everyone().map((m) => medianError(m.page, 3500, 4500)));
    const medians = errors.map((e) => e.median);
    const spread = Math.max(...medians) - Math.min(...medians);
    console.log(
      `median error 3.5-4.5 s into B (ms): ${medians.map((m) => round(m)).join(', ')} (n=${errors.map((e) => e.n).join('/')}); spread ${round(spread)} ms`,
    );
    if (spread > 10) {
      // What the followers did after the switch, to see whether one was still converging.
      for (const m of everyone()) {
        const errs = await m.page.evaluate(() => (window as unknown as SwitchWatch).__errs ?? []);
        console.log(`${m.identity.name} error (s after switch: ms): ${errs.map((e) => `${round(e.t / 1000)}:${Math.round(e.err)}`).join(' ')}`);
      }
    }
    for (const e of errors) expect(e.n).toBeGreaterThanOrEqual(5);
    expect(spread).toBeLessThanOrEqual(10);
  });

  it('with an empty queue the group rests at the end: a "Finished" card; Replay starts over for everyone', async () => {
    for (const member of everyone()) await member.page.waitForSelector(tid('end-card'), { timeout: 10_000 });
    expect(await host.page.locator(tid('end-card')).innerText()).toContain('Finished');
    expect(await host.page.locator(tid('end-card')).innerText()).not.toContain('Playing');
    expect(await host.page.locator(tid('end-pick')).count()).toBe(1);
    expect(await guests[0].page.locator(tid('end-card')).innerText()).toContain('Finished — waiting for the host');
    expect(await guests[0].page.locator(`${tid('end-card')} button`).count()).toBe(0);
    const state = await host.page.evaluate(() => window.__wpSync?.state);
    expect(state).toMatchObject({ playing: false, position: bravo.durationSec });

    await host.page.click(tid('end-replay'));
    for (const member of everyone()) {
      await member.page.waitForSelector(tid('end-card'), { state: 'detached', timeout: 5000 });
      await member.page.waitForFunction(
        () => {
          const s = window.__wpSync?.state;
          const v = document.querySelector('video');
          return !!s && s.playing && !!v && !v.paused && v.currentTime > 0.2 && v.currentTime < 4;
        },
        undefined,
        { timeout: 5000 },
      );
    }
  });
});
