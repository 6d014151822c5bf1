import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type BuiltServer, freePort, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';

/** Where the OBS-mode screenshots go (desktop and 390 px). */
const SHOTS_DIR = process.env['WP_SCREENSHOT_DIR'] ?? '/tmp/wp-go-live-screenshots';

/** ffmpeg publishing a test pattern over RTMP, like OBS would. */
function publish(url: string): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      '-v', 'error', '-nostdin', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '300',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'flv', url,
    ],
    { stdio: 'ignore' },
  );
}

describe('the Go-live page (creator) in a real browser', () => {
  let server: BuiltServer;
  let browser: Browser;
  let rtmpPort: number;
  const publishers: ChildProcess[] = [];

  beforeAll(async () => {
    rtmpPort = await freePort();
    server = await startBuiltServer({ RTMP_PORT: String(rtmpPort) });
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
    mkdirSync(SHOTS_DIR, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const p of publishers) p.kill('SIGKILL');
    await browser?.close();
    await server?.close();
  });

  it('switches to OBS mode when ffmpeg publishes, gives the viewer link, and asks before ending the show', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`go-live page error: ${e.message}`));
    await page.goto(`${server.url}/go-live`);
    await page.fill('[data-testid="show-title-input"]', 'OBS show');
    await page.fill('[data-testid="creator-name-input"]', 'Cleo');
    await page.click('[data-testid="create-show"]');
    await page.locator('[data-testid="stream-key"]').waitFor();

    // Nothing publishes yet: browser mode.
    await page.locator('[data-testid="go-live"]').waitFor();
    const viewerUrl = await page.inputValue('[data-testid="viewer-url"]');
    const showId = viewerUrl.split('/').pop() ?? '';
    expect(showId).not.toBe('');
    expect(viewerUrl).toBe(`${server.url}/live/${showId}`);

    const rtmpUrl = await page.inputValue('[data-testid="rtmp-url"]');
    const streamKey = await page.inputValue('[data-testid="stream-key"]');
    expect(rtmpUrl).toMatch(new RegExp(`^rtmp://.+:${rtmpPort}/live$`));
    publishers.push(publish(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`));

    // OBS mode: no camera, no Go live; the elapsed time runs; the viewers' view plays.
    await page.locator('[data-testid="obs-mode"]').waitFor({ timeout: 20_000 });
    expect(await page.textContent('[data-testid="obs-mode"]')).toContain('Live from your streaming software (OBS)');
    expect(await page.locator('[data-testid="go-live"]').count()).toBe(0);
    expect(await page.locator('[data-testid="start-preview"]').count()).toBe(0);
    await page.locator('[data-testid="show-status"]', { hasText: 'Live' }).waitFor();
    await page.locator('[data-testid="output-video"]').waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      () => (document.querySelector<HTMLVideoElement>('[data-testid="output-video"]')?.currentTime ?? 0) > 0.5,
      undefined,
      { timeout: 20_000 },
    );
    expect(await page.locator('[data-testid="output-video"]').evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
    const elapsed = await page.textContent('[data-testid="elapsed"]');
    expect(elapsed?.trim()).toMatch(/^\d+:\d\d$/);
    expect(await page.inputValue('[data-testid="viewer-url"]')).toBe(`${server.url}/live/${showId}`);

    await page.screenshot({ path: join(SHOTS_DIR, 'go-live-obs-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS_DIR, 'go-live-obs-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // End show asks first; Cancel keeps the show on air.
    await page.click('[data-testid="end-show"]');
    await page.locator('[data-testid="end-confirm"]').waitFor();
    await page.screenshot({ path: join(SHOTS_DIR, 'go-live-end-confirm.png') });
    await page.click('[data-testid="cancel-end"]');
    await page.waitForTimeout(3500);
    const still = (await (await fetch(`${server.url}/api/live/${showId}`)).json()) as { status: string };
    expect(still.status).toBe('live');

    // Keyboard: Enter on End show opens the question, Escape closes it.
    await page.focus('[data-testid="end-show"]');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="end-confirm"]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="end-confirm"]').waitFor({ state: 'detached' });

    // Confirmed: the show ends.
    await page.click('[data-testid="end-show"]');
    await page.click('[data-testid="confirm-end"]');
    await page.locator('[data-testid="show-status"]', { hasText: 'Ended' }).waitFor({ timeout: 15_000 });
    const ended = (await (await fetch(`${server.url}/api/live/${showId}`)).json()) as { status: string };
    expect(ended.status).toBe('ended');
    await context.close();
  }, 120_000);
});
