import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type ClipServer, ensureClip, serveDir } from './clip';
import { type Member, createParty, joinParty, openAs, waitForMedia } from './party';

const WIDE = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  width: number;
  height: number;
}

async function box(page: Page, selector: string): Promise<Box> {
  const rect = await page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
  });
  return rect;
}

/** Holds an upload mid-way (a 64 KiB/s link) and returns where its progress bar sits. */
async function uploadBarBox(member: Member, file: string): Promise<Box> {
  const { page, context } = member;
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  try {
    await page.click('[data-testid="source-tab-upload"]');
    await page.setInputFiles('[data-testid="upload-input"]', file);
    await page.waitForSelector('[data-testid="upload-progress"] [role="progressbar"]');
    await page.evaluate(() => window.scrollTo(0, 0));
    return await box(page, '[data-testid="upload-progress"] [role="progressbar"]');
  } finally {
    await page.click('[data-testid="upload-cancel"]');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    await page.click('[data-testid="source-tab-link"]');
  }
}

/** WCAG contrast of an element's text colour against the first opaque background behind it. */
function textContrast(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((el) => {
    const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) =>
      [r, g, b].map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    let node: Element | null = el;
    let bg = [255, 255, 255];
    while (node) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) {
        bg = c.slice(0, 3);
        break;
      }
      node = node.parentElement;
    }
    const [a, b] = [lum(parse(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  });
}

describe('the party page layout in Chromium (1366x800 and 390x844)', () => {
  let server: BuiltServer;
  let browser: Browser;
  let clips: ClipServer;
  let clipFile: string;
  const members: Member[] = [];

  beforeAll(async () => {
    const dir = await ensureClip();
    clipFile = join(dir, 'clip.mp4');
    [server, browser, clips] = await Promise.all([startBuiltServer(), launchChromium(), serveDir(dir)]);
  }, 60_000);

  afterAll(async () => {
    for (const m of members) await m.context.close();
    await browser?.close();
    await server?.close();
    await clips?.close();
  });

  async function host(viewport = WIDE): Promise<Member> {
    const m = await openAs(browser, server.url, await createParty(server.url, 'Ann', { name: 'Movie night' }), viewport);
    members.push(m);
    return m;
  }

  it('1366x800: the picker and an upload progress bar are in the first screen, with and without a source', async () => {
    const m = await host();
    const { page } = m;
    await page.waitForSelector('wp-source-picker');
    expect((await box(page, 'wp-source-picker')).top).toBeLessThan(WIDE.height);
    expect((await uploadBarBox(m, clipFile)).bottom).toBeLessThanOrEqual(WIDE.height);

    await page.evaluate((url) => window.__wpSync?.emit('source:set', { source: { kind: 'url', url } }), clips.url('clip.mp4'));
    await waitForMedia(page);
    await page.waitForSelector('[data-testid="seek"], .player-controls');
    expect((await box(page, 'wp-source-picker')).top).toBeLessThan(WIDE.height);
    expect((await uploadBarBox(m, clipFile)).bottom).toBeLessThanOrEqual(WIDE.height);
    // The picture still gets most of the player column and starts at the top.
    const player = await box(page, 'wp-player');
    expect(player.width).toBeGreaterThanOrEqual(600);
    expect(player.top).toBeLessThan(80);
  });

  it('the participant menu opens whole inside the window, flips up near the bottom and closes on scroll', async () => {
    const m = await host();
    const { page } = m;
    const bo = await joinParty(server.url, m.identity.sessionId, 'Bo');
    const trigger = `[data-participant-id="${bo.participantId}"] [data-testid="participant-actions"]`;
    await page.waitForSelector(trigger);
    await page.click(trigger);
    await page.waitForSelector('[role="menu"]');
    const menu = await box(page, '[role="menu"]');
    expect(menu.top).toBeGreaterThanOrEqual(0);
    expect(menu.bottom).toBeLessThanOrEqual(WIDE.height);
    expect(menu.right).toBeLessThanOrEqual(WIDE.width);
    // Every item is really there to click, not clipped by the People panel.
    const items = await page.locator('[role="menu"] [role="menuitem"]').allInnerTexts();
    expect(items.map((t) => t.trim())).toEqual(['Make controller', 'Make host', 'Remove from party']);
    for (let i = 0; i < items.length; i++) {
      const item = page.locator('[role="menu"] [role="menuitem"]').nth(i);
      const hit = await item.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
      });
      expect(hit).toBe(true);
    }
    // A scroll would leave it floating away from its row: it closes.
    await page.mouse.move(300, 700);
    await page.mouse.wheel(0, 200);
    await page.waitForSelector('[role="menu"]', { state: 'detached' });

    // In a short window the row sits near the bottom: the menu opens upwards, still whole.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewportSize({ width: 1366, height: 420 });
    await page.click(trigger);
    await page.waitForSelector('[role="menu"].menu-up');
    const up = await box(page, '[role="menu"]');
    const row = await box(page, trigger);
    expect(up.bottom).toBeLessThanOrEqual(row.top);
    expect(up.top).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role="menu"]', { state: 'detached' });
    await page.setViewportSize(WIDE);
  });

  it('theater mode: "t" or the header button; the picture fills the window beside the chat, and the choice sticks', async () => {
    const m = await host();
    const { page } = m;
    await page.evaluate((url) => window.__wpSync?.emit('source:set', { source: { kind: 'url', url } }), clips.url('clip.mp4'));
    await waitForMedia(page);
    const before = await box(page, 'wp-player');

    // Typed into the chat, "t" is a letter.
    await page.click('wp-party-chat textarea, wp-party-chat input[type="text"]');
    await page.keyboard.type('t');
    expect(await page.locator('.watch-layout.theater').count()).toBe(0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    await page.keyboard.press('t');
    await page.waitForSelector('.watch-layout.theater');
    await page.waitForFunction((w) => (document.querySelector('wp-player')?.getBoundingClientRect().width ?? 0) > w + 100, before.width);
    const player = await box(page, 'wp-player');
    const chat = await box(page, '#panel-chat');
    expect(player.bottom).toBeLessThanOrEqual(WIDE.height);
    expect(chat.left).toBeGreaterThanOrEqual(player.right);
    expect(chat.height).toBeGreaterThan(200);
    expect(await page.locator('[data-testid="tab-people"]').count()).toBe(1);
    expect(await page.getAttribute('[data-testid="theater-toggle"]', 'aria-pressed')).toBe('true');

    await page.reload();
    await page.waitForSelector('.watch-layout.theater');
    await page.click('[data-testid="theater-toggle"]');
    await page.waitForSelector('.watch-layout:not(.theater)');
    await page.waitForFunction((w) => Math.abs((document.querySelector('wp-player')?.getBoundingClientRect().width ?? 0) - w) < 2, before.width);
    expect(await page.locator('[data-testid="tab-people"]').count()).toBe(0);
  });

  it('390x844: invite and Share near the top, the picker before the chat, the player pinned while the chat scrolls', async () => {
    const m = await openAs(browser, server.url, await createParty(server.url, 'Ann', { name: 'Phone night' }), PHONE, { waitForState: false });
    members.push(m);
    const { page } = m;
    // This Chromium has no Web Share API: give the page one, as a phone's browser would.
    await page.addInitScript(() => {
      const shared: unknown[] = [];
      Object.assign(window, { __shared: shared });
      Object.defineProperty(navigator, 'share', { value: (data: unknown) => (shared.push(data), Promise.resolve()) });
    });
    await page.reload();
    await page.waitForFunction(() => window.__wpSync?.state != null);
    for (const text of ['one', 'two', 'three', 'four', 'five', 'six']) await page.evaluate((t) => window.__wpSync?.emit('chat:send', { text: t }), text);

    const invite = await box(page, '[data-testid="invite-link"]');
    const picker = await box(page, 'wp-source-picker');
    const chat = await box(page, '#panel-chat');
    expect(invite.top).toBeLessThan(picker.top);
    expect(picker.top).toBeLessThan(chat.top);

    await page.click('[data-testid="share-invite"]');
    const shared = await page.evaluate(() => (window as unknown as { __shared: { url: string; title: string }[] }).__shared);
    expect(shared).toEqual([expect.objectContaining({ url: `${server.url}/watch/${m.identity.sessionId}`, title: 'Phone night' })]);

    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForFunction(() => window.scrollY > 300);
    const topbar = await box(page, '.topbar');
    const pinned = await box(page, 'wp-player');
    expect(pinned.top).toBeGreaterThanOrEqual(topbar.bottom - 1);
    expect(pinned.top).toBeLessThan(topbar.bottom + 20);
    const input = await box(page, 'wp-party-chat textarea, wp-party-chat input[type="text"]');
    expect(input.top).toBeGreaterThan(pinned.bottom);
    expect(input.bottom).toBeLessThanOrEqual(PHONE.height);
  });

  it('light theme from the system setting; small text keeps 4.5:1 in both themes; the player stays dark', async () => {
    const m = await host();
    const { page } = m;
    const bo = await joinParty(server.url, m.identity.sessionId, 'Bo');
    await page.waitForSelector(`[data-participant-id="${bo.participantId}"]`);
    await page.evaluate((url) => window.__wpSync?.emit('source:set', { source: { kind: 'url', url } }), clips.url('clip.mp4'));
    await waitForMedia(page);
    await page.waitForSelector('.player-controls');
    const small = ['wp-invite-link .hint', '[data-testid="participant-status"]', '.eyebrow', 'wp-participants .panel-header .small', '.player-controls .time'];
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number).slice(0, 3);
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const bodyBg = rgb(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      if (scheme === 'light') expect(Math.min(...bodyBg)).toBeGreaterThan(200);
      else expect(Math.max(...bodyBg)).toBeLessThan(40);
      const ratios = await Promise.all(small.map(async (selector) => ({ selector, ratio: await textContrast(page, selector) })));
      expect(ratios.filter((r) => r.ratio < 4.5)).toEqual([]);
      // The player's controls keep their dark colours on both themes.
      const controlsBg = rgb(await page.evaluate(() => getComputedStyle(document.querySelector('.player-controls') as Element).backgroundColor));
      expect(Math.max(...controlsBg)).toBeLessThan(40);
    }
  });
});
