import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type BuiltServer, freePort, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { publishRtmp } from './publisher';

/** Where the OBS-mode screenshots go (desktop and 390 px). */
const SHOTS_DIR = process.env['WP_SCREENSHOT_DIR'] ?? '/tmp/wp-go-live-screenshots';

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
    publishers.push(publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`));

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

    // Stream health under the preview: bit rate, frame rate (or "— fps" while the server has none), keyframes.
    const health = page.locator('[data-testid="stream-health"]');
    await health.waitFor({ timeout: 15_000 });
    expect(await health.textContent()).toMatch(/\d+ kbit\/s\s*·\s*(\d+(\.\d+)?|—) fps\s*·\s*keyframe every/);
    console.log(`creator stream health: ${(await health.textContent())?.replace(/\s+/g, ' ').trim()}`);

    // The show's chat beside the preview, with the creator's host pass: write, and a viewer reads it.
    const chat = page.locator('[data-testid="creator-chat"]');
    const chatInput = chat.locator('[data-testid="chat-input"]');
    await page.waitForFunction(() => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="creator-chat"] [data-testid="chat-input"]');
      return !!input && !input.disabled;
    });
    const box = async (selector: string) => (await page.locator(selector).boundingBox()) ?? { x: 0, y: 0, width: 0, height: 0 };
    const preview = await box('[data-testid="output-preview"]');
    const chatBox = await box('[data-testid="creator-chat"]');
    expect(chatBox.x).toBeGreaterThanOrEqual(preview.x + preview.width); // beside, not below
    expect(chatBox.y).toBeLessThan(preview.y + preview.height);
    await chatInput.fill('welcome, everyone');
    await chatInput.press('Enter');
    await chat.locator('[data-testid="chat-message"]', { hasText: 'welcome, everyone' }).waitFor();

    const audience = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const viewer = await audience.newPage();
    await viewer.goto(viewerUrl);
    await viewer.fill('[data-testid="chat-name"]', 'Vic');
    await viewer.click('[data-testid="join-chat"]');
    await viewer.locator('[data-testid="chat-message"]', { hasText: 'welcome, everyone' }).waitFor({ timeout: 10_000 });
    await viewer.fill('[data-testid="chat-input"]', 'hi Cleo');
    await viewer.press('[data-testid="chat-input"]', 'Enter');
    await chat.locator('[data-testid="chat-message"]', { hasText: 'hi Cleo' }).waitFor({ timeout: 10_000 });

    await page.screenshot({ path: join(SHOTS_DIR, 'go-live-obs-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // A phone: the chat still reads and writes.
    await chatInput.scrollIntoViewIfNeeded();
    await chatInput.fill('from my phone');
    await chatInput.press('Enter');
    await chat.locator('[data-testid="chat-message"]', { hasText: 'from my phone' }).waitFor();
    await viewer.locator('[data-testid="chat-message"]', { hasText: 'from my phone' }).waitFor({ timeout: 10_000 });
    // The ffmpeg hint wraps between arguments only (never after a "-"), its Copy button in view.
    const parts = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="ffmpeg-command"] .command-part')].map((e) => ({
        text: e.textContent ?? '',
        lines: e.getClientRects().length,
      })),
    );
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.filter((p) => p.lines !== 1)).toEqual([]);
    const command = await box('[data-testid="ffmpeg-command"]');
    expect(command.height).toBeGreaterThan(40); // it does wrap on a phone, between parts
    const copy = await box('[data-testid="copy-ffmpeg"]');
    expect(copy.x + copy.width).toBeLessThanOrEqual(390);
    // Element shots centred (clear of the sticky top bar), the whole page from the top.
    for (const [id, file] of [
      ['creator-chat', 'go-live-chat-390.png'],
      ['ffmpeg-command', 'go-live-ffmpeg-390.png'],
    ] as const) {
      const element = page.locator(`[data-testid="${id}"]`);
      await element.evaluate((e) => e.scrollIntoView({ block: 'center' }));
      await element.screenshot({ path: join(SHOTS_DIR, file) });
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS_DIR, 'go-live-obs-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await audience.close();

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
