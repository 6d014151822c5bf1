import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { makeShortClip } from './clip';
import { waitForMedia } from './party';

const tid = (id: string) => `[data-testid="${id}"]`;

/** Records, inside the page, whether the upload bar ever showed and the highest percent it reached. */
async function watchUploadBar(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = { shown: false, maxPct: -1 };
    (window as unknown as { __wpUploadSeen: typeof seen }).__wpUploadSeen = seen;
    const check = () => {
      const bar = document.querySelector('[aria-label="Upload progress"]');
      if (!bar) return;
      seen.shown = true;
      seen.maxPct = Math.max(seen.maxPct, Number(bar.getAttribute('aria-valuenow') ?? -1));
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
}

describe('media library: upload, transcode, watch together, delete', () => {
  let server: BuiltServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let workDir: string;
  let clipPath: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-library-'));
    clipPath = join(workDir, 'Beach day.mp4');
    const [started] = await Promise.all([startBuiltServer(), makeShortClip(clipPath)]);
    server = started;
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('starts empty, reachable from the top bar', async () => {
    await page.goto(server.url);
    await page.click(tid('nav-library'));
    await page.waitForURL(/\/library$/);
    await page.waitForSelector(tid('library-empty'));
    expect(await page.title()).toContain('Library');
  });

  it('uploads through the page with a progress bar, then shows the item processing and Ready', async () => {
    expect(existsSync(clipPath)).toBe(true);
    // Slow the upload down (loopback is instant) so the progress bar has something to show.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await watchUploadBar(page);
    await page.setInputFiles(tid('upload-input'), clipPath);
    await page.waitForSelector(tid('upload-progress'));
    await page.waitForSelector(tid('upload-done'), { timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();

    const seen = await page.evaluate(() => (window as unknown as { __wpUploadSeen: { shown: boolean; maxPct: number } }).__wpUploadSeen);
    expect(seen.shown).toBe(true);
    expect(seen.maxPct).toBeGreaterThan(0);
    expect(await page.locator(tid('upload-done')).innerText()).toContain('“Beach day” uploaded.');

    const item = page.locator(tid('media-item'));
    await expect(item.count()).resolves.toBe(1);
    expect(await item.locator(tid('media-title')).innerText()).toBe('Beach day');
    await page.waitForFunction(
      () => /^(Processing \d+%|Ready)$/.test(document.querySelector('[data-testid="media-status"]')?.textContent?.trim() ?? ''),
    );
    await page.waitForFunction(
      () => document.querySelector('[data-testid="media-status"]')?.textContent?.trim() === 'Ready',
      undefined,
      { timeout: 40_000 },
    );
    // Once transcoded the item has a poster and its duration.
    await page.waitForSelector(`${tid('media-item')} img`);
    expect(await item.innerText()).toContain('0:08');
  }, 60_000);

  it('refuses a file that is not a video with a clear message', async () => {
    const fake = join(workDir, 'notes.mp4');
    writeFileSync(fake, 'this is not a video at all, just text pretending to be one\n'.repeat(50));
    await page.setInputFiles(tid('upload-input'), fake);
    await page.waitForSelector(tid('upload-error'));
    expect(await page.locator(tid('upload-error')).innerText()).toContain('not a video we can play');
    expect(await page.locator(tid('media-item')).count()).toBe(1);
  });

  it('"Watch together" asks for a name, creates the party and the watch page plays the video', async () => {
    await page.click(tid('watch-together'));
    await page.fill(tid('host-name'), 'Ann');
    await page.click(tid('start-party'));
    await page.waitForURL(/\/watch\/[A-Za-z0-9_-]+$/);
    expect(await page.evaluate(() => localStorage.getItem('wp.lastName'))).toBe('Ann');
    expect(await page.locator(tid('party-name')).innerText()).toBe('Beach day');

    await waitForMedia(page, 20_000);
    const src = await page.evaluate(() => document.querySelector('video')?.currentSrc ?? '');
    expect(src.startsWith('blob:')).toBe(true); // hls.js (MSE) plays the HLS ladder
    await page.click(tid('play-pause'));
    await page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 1.5, undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => document.querySelector('video')?.paused)).toBe(false);
  }, 45_000);

  it('the source picker lists the library item', async () => {
    await page.click(tid('source-tab-library'));
    await page.waitForSelector(tid('library-pick'));
    const pick = page.locator(tid('library-pick'));
    expect(await pick.getAttribute('aria-current')).toBe('true');
    expect(await pick.innerText()).toContain('Beach day');
  });

  it('deleting an item in the library removes it', async () => {
    await page.click(tid('nav-library'));
    await page.waitForSelector(tid('media-item'));
    await page.click(tid('delete-media'));
    await page.click(tid('confirm-delete'));
    await page.waitForSelector(tid('library-empty'));
    expect(await page.locator(tid('media-item')).count()).toBe(0);
    const list = (await (await fetch(`${server.url}/api/media`)).json()) as unknown[];
    expect(list).toEqual([]);
    await page.reload();
    await page.waitForSelector(tid('library-empty'));
  });
});
