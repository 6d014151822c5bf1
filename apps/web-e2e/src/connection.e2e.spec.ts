import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type ClipServer, ensureClip, serveDir } from './clip';
import { type Member, createParty, joinParty, openAs, waitForMedia } from './party';

/** The bound: a frozen server shows as "reconnecting" within this long. */
const BANNER_WITHIN_MS = 10_000;

const chatLines = (page: Page, text: string) =>
  page.evaluate(
    (t) => [...document.querySelectorAll('[data-testid="chat-message"] .msg-text')].filter((e) => e.textContent === t).length,
    text,
  );

/** Resolves with how long after `since` the banner showed on `page`. */
async function bannerAfter(page: Page, since: number): Promise<number> {
  await page.waitForSelector('[data-testid="reconnecting"]', { timeout: BANNER_WITHIN_MS + 5000 });
  return Date.now() - since;
}

async function sendChat(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid="chat-input"]', text);
  await page.press('[data-testid="chat-input"]', 'Enter');
}

describe('connection honesty in real browsers', () => {
  let server: BuiltServer;
  let clip: ClipServer;
  let browser: Browser;
  let host: Member;
  let guest: Member;
  let frozen = false;

  beforeAll(async () => {
    const [dir, started] = await Promise.all([ensureClip(), startBuiltServer()]);
    server = started;
    clip = await serveDir(dir);
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
    const hostId = await createParty(server.url, 'Ann');
    const guestId = await joinParty(server.url, hostId.sessionId, 'Bo');
    host = await openAs(browser, server.url, hostId);
    guest = await openAs(browser, server.url, guestId);
    for (const m of [host, guest]) {
      await m.page.waitForFunction(() => document.querySelectorAll('[data-testid="participant"]').length === 2);
    }
  }, 60_000);

  afterAll(async () => {
    if (frozen) server.signal('SIGCONT');
    await browser?.close();
    await clip?.close();
    await server?.close();
  });

  it('a frozen server shows as reconnecting within 10 s; a message written meanwhile arrives exactly once after it resumes', async () => {
    const frozenAt = Date.now();
    server.signal('SIGSTOP');
    frozen = true;
    // Sent at once: the socket still looks connected, the message sits unread in the server's buffer.
    await sendChat(guest.page, 'sent while frozen');
    await guest.page.waitForSelector('[data-testid="chat-pending"]');

    const [hostMs, guestMs] = await Promise.all([bannerAfter(host.page, frozenAt), bannerAfter(guest.page, frozenAt)]);
    console.log(`frozen server -> "reconnecting" banner: host ${hostMs} ms, guest ${guestMs} ms (bound ${BANNER_WITHIN_MS} ms)`);
    expect(hostMs).toBeLessThan(BANNER_WITHIN_MS);
    expect(guestMs).toBeLessThan(BANNER_WITHIN_MS);

    // Nothing stale looks live: the people panel says it is the last known state.
    for (const m of [host, guest]) {
      await m.page.waitForSelector('.watch-side.stale');
      expect(await m.page.locator('[data-testid="people-stale"]').innerText()).toContain('Last known');
      expect(await m.page.locator('[data-testid="participant-status"]').allInnerTexts()).toEqual(['Unknown', 'Unknown']);
    }
    // The guest's message is still on its way, its text still in the field.
    expect(await guest.page.inputValue('[data-testid="chat-input"]')).toBe('sent while frozen');
    expect(await guest.page.getAttribute('[data-testid="chat-pending"]', 'data-state')).toMatch(/^(sending|waiting|failed)$/);
    // Written after the drop was noticed: it waits for the connection.
    await sendChat(host.page, 'written while offline');
    await host.page.waitForSelector('[data-testid="chat-pending"][data-state="waiting"]');

    const resumedAt = Date.now();
    server.signal('SIGCONT');
    frozen = false;
    await Promise.all([host, guest].map((m) => m.page.waitForSelector('[data-testid="reconnecting"]', { state: 'detached', timeout: 20_000 })));
    console.log(`resumed -> banner gone after ${Date.now() - resumedAt} ms`);

    // Both go out by themselves (no retry click needed) and land once each.
    for (const m of [host, guest]) {
      await m.page.waitForSelector('[data-testid="chat-pending"]', { state: 'detached', timeout: 15_000 });
      await m.page.waitForSelector('[data-testid="chat-message"]:has-text("sent while frozen")');
      await m.page.waitForSelector('[data-testid="chat-message"]:has-text("written while offline")');
    }
    expect(await guest.page.inputValue('[data-testid="chat-input"]')).toBe('');
    expect(await host.page.inputValue('[data-testid="chat-input"]')).toBe('');
    expect(await host.page.locator('[data-testid="people-stale"]').count()).toBe(0);

    // A later message orders after any straggler: once it is shown, a duplicate would be too.
    await sendChat(guest.page, 'all good');
    for (const m of [host, guest]) {
      await m.page.waitForSelector('[data-testid="chat-message"]:has-text("all good")');
      expect(await chatLines(m.page, 'sent while frozen')).toBe(1);
      expect(await chatLines(m.page, 'written while offline')).toBe(1);
    }
    // And a reload (the server's own history) has it once too.
    await guest.page.reload();
    await guest.page.waitForSelector('[data-testid="chat-message"]:has-text("all good")');
    expect(await chatLines(guest.page, 'sent while frozen')).toBe(1);
    expect(await guest.page.locator('.watch-side.stale').count()).toBe(0);
  }, 60_000);

  it("a guest whose browser can't load the video shows as \"can't play\" for the host, whose \"Go back\" restores the previous one", async () => {
    const good = clip.url('hls/index.m3u8');
    const bad = clip.url('clip.mp4');
    await guest.page.route('**/clip.mp4', (route) => route.abort('blockedbyclient'));
    const setSource = (url: string) =>
      host.page.evaluate((u) => window.__wpSync?.emit('source:set', { source: { kind: 'url', url: u } }), url);

    expect(await setSource(good)).toMatchObject({ ok: true });
    await Promise.all([waitForMedia(host.page), waitForMedia(guest.page)]);
    expect(await setSource(bad)).toMatchObject({ ok: true });

    const notice = host.page.locator('[data-testid="cant-play-text"]');
    await notice.waitFor({ timeout: 20_000 });
    const text = await notice.innerText();
    console.log(`host sees: ${text}`);
    expect(text).toMatch(/^Bo can't play this video: .+/);
    await guest.page.waitForSelector('[data-testid="player-error"]');

    const back = host.page.locator('[data-testid="go-back"]');
    expect((await back.innerText()).trim()).toBe('Go back to “index.m3u8”');
    await back.click();
    const session = async () => ((await (await fetch(`${server.url}/api/sessions/${host.identity.sessionId}`)).json()) as { source: { url?: string } | null }).source;
    await host.page.waitForFunction(() => !document.querySelector('[data-testid="go-back"]'), undefined, { timeout: 20_000 });
    expect((await session())?.url).toBe(good);
    // The guest plays again, so nobody "can't play" any more.
    await waitForMedia(guest.page);
    await host.page.waitForSelector('[data-testid="cant-play"]', { state: 'detached', timeout: 20_000 });
    expect(await guest.page.locator('[data-testid="player-error"]').count()).toBe(0);
  }, 60_000);
});
