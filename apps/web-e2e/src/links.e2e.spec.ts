import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { makeShortClip, uploadMedia } from './clip';
import { type Member, createParty, openAs, waitForMedia } from './party';

const tid = (id: string) => `[data-testid="${id}"]`;

async function sessionSource(server: string, sessionId: string): Promise<unknown> {
  const res = await fetch(`${server}/api/sessions/${sessionId}`);
  return ((await res.json()) as { source: unknown }).source;
}

/** Pastes `url` into the picker and submits; resolves with the time of the click (ms since the epoch). */
async function submitLink(page: Page, url: string): Promise<number> {
  await page.click(tid('source-tab-link'));
  await page.fill(tid('source-url'), url);
  const started = Date.now();
  await page.click(tid('source-submit'));
  return started;
}

/** Waits (at most 5 s) for the picker's refusal; resolves with its text and ms since `started`. */
async function refusal(page: Page, started: number): Promise<{ text: string; ms: number }> {
  await page.waitForSelector(tid('source-error'), { timeout: 5000 });
  const ms = Date.now() - started;
  return { text: await page.locator(tid('source-error')).innerText(), ms };
}

describe('links are checked in the browser before the party is sent to them', () => {
  let server: BuiltServer;
  let browser: Browser;
  let host: Member;
  let workDir: string;
  let fileUrl: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-links-'));
    const clipPath = join(workDir, 'movie.mp4');
    [server, browser] = await Promise.all([startBuiltServer(), launchChromium(), makeShortClip(clipPath)]).then(
      ([s, b]) => [s, b] as const,
    );
    const media = await uploadMedia(server.url, clipPath, 'movie.mp4', { done: () => true });
    // The app's own original-file route: no extension in the path.
    fileUrl = `${server.url}/api/media/${media.id}/file`;
    host = await openAs(browser, server.url, await createParty(server.url, 'Ann'));
  }, 60_000);

  afterAll(async () => {
    await host?.context.close();
    await browser?.close();
    await server?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses a 404 link within 5 s with the status, and the party keeps no source', async () => {
    const rev = await host.page.evaluate(() => window.__wpSync?.state?.rev);
    const started = await submitLink(host.page, `${server.url}/api/media/NoSuchMedia_000001/file`);
    const { text, ms } = await refusal(host.page, started);
    console.log(`404 link refused after ${ms} ms`);
    expect(text).toBe("This link didn't load as a video: 404 (not found)");
    expect(ms).toBeLessThan(5000);
    expect(await sessionSource(server.url, host.identity.sessionId)).toBeNull();
    expect(await host.page.evaluate(() => window.__wpSync?.state?.rev)).toBe(rev);
  });

  it('refuses an HTML page as not a video within 5 s', async () => {
    await host.page.fill(tid('source-url'), '');
    const started = await submitLink(host.page, `${server.url}/library`);
    const { text, ms } = await refusal(host.page, started);
    console.log(`HTML page refused after ${ms} ms`);
    expect(text).toBe("This link didn't load as a video: not a video (text/html)");
    expect(ms).toBeLessThan(5000);
    expect(await sessionSource(server.url, host.identity.sessionId)).toBeNull();
  });

  it('accepts a real video without an extension; it plays', async () => {
    await submitLink(host.page, fileUrl);
    await host.page.waitForFunction(() => !document.querySelector('[data-testid="source-checking"]'), undefined, { timeout: 6000 });
    expect(await host.page.locator(tid('source-error')).count()).toBe(0);
    // The check ends in the page before its source:set reaches the server: read until it has (3 s).
    let source = await sessionSource(server.url, host.identity.sessionId);
    for (let i = 0; i < 30 && source === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      source = await sessionSource(server.url, host.identity.sessionId);
    }
    expect(source).toEqual({ kind: 'url', url: fileUrl });
    await waitForMedia(host.page);
    const playing = await host.page.evaluate(() => window.__wpSync?.emit('playback:control', { action: 'play' }));
    expect(playing?.ok).toBe(true);
    await host.page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 1, undefined, { timeout: 10_000 });
    expect(await host.page.locator(tid('video')).evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(640);
  });
});
