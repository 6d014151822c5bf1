import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type Identity, createParty, enableDebugHandles, joinParty } from './party';

/** Opens the watch page as an already-joined participant in a context with `options`. */
async function open(browser: Browser, server: string, identity: Identity, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  await enableDebugHandles(context);
  await context.addInitScript(
    ([key, value]) => localStorage.setItem(key, value),
    [`wp.identity.${identity.sessionId}`, JSON.stringify({ token: identity.token, participantId: identity.participantId, name: identity.name })] as const,
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${identity.name}] page error: ${error.message}`));
  await page.goto(`${server}/watch/${identity.sessionId}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="participant"]').length === 3);
  return { context, page };
}

/** Every floating reaction on the page: its emoji, the name under it, and where it is now. */
const floating = (page: Page) =>
  page.$$eval('[data-testid="reaction-float"]', (els) =>
    els.map((e) => ({
      emoji: e.getAttribute('data-emoji'),
      name: e.querySelector('[data-testid="reaction-name"]')?.textContent ?? '',
      top: e.getBoundingClientRect().top,
      transform: getComputedStyle(e).transform,
    })),
  );

/** Where the first reaction with `emoji` is, twice, `gapMs` apart (measured in the page). */
const track = (page: Page, emoji: string, gapMs: number) =>
  page.evaluate(
    async ([e, gap]) => {
      const find = () => document.querySelector<HTMLElement>(`[data-testid="reaction-float"][data-emoji="${e}"]`);
      const first = find()?.getBoundingClientRect().top ?? Number.NaN;
      await new Promise((r) => setTimeout(r, gap));
      const second = find()?.getBoundingClientRect().top ?? Number.NaN;
      return { first, second };
    },
    [emoji, gapMs] as const,
  );

describe('reactions in real browsers', () => {
  let server: BuiltServer;
  let browser: Browser;
  let host: Page;
  let guest: Page;
  let calm: Page;

  beforeAll(async () => {
    server = await startBuiltServer();
    browser = await launchChromium();
    const hostId = await createParty(server.url, 'Ann');
    const [guestId, calmId] = await Promise.all([joinParty(server.url, hostId.sessionId, 'Bo'), joinParty(server.url, hostId.sessionId, 'Cy')]);
    [{ page: host }, { page: guest }, { page: calm }] = await Promise.all([
      open(browser, server.url, hostId),
      open(browser, server.url, guestId),
      open(browser, server.url, calmId, { reducedMotion: 'reduce' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a guest's button and key reactions float over the host's picture with the guest's name, and rise", async () => {
    const layout = () => host.$eval('[data-testid="reactions-bar"]', (e) => [e.getBoundingClientRect().top, document.documentElement.scrollHeight]);
    const before = await layout();
    await guest.click('[data-testid="reaction-button"][data-emoji="🔥"]');
    await host.waitForSelector('[data-testid="reaction-float"][data-emoji="🔥"]');
    expect(await layout()).toEqual(before); // floating over the picture takes no room
    const moving = await track(host, '🔥', 300);
    console.log(`🔥 on the host's picture: top ${moving.first.toFixed(1)} -> ${moving.second.toFixed(1)} px in 300 ms`);
    expect(moving.second).toBeLessThan(moving.first - 5);

    // Key 6 is 🔥 too; key 1 is 👍. Focus on the page body, not in a text field.
    await guest.locator('body').click({ position: { x: 5, y: 5 } });
    await guest.keyboard.press('1');
    await host.waitForSelector('[data-testid="reaction-float"][data-emoji="👍"]');
    const seen = await floating(host);
    expect(seen.filter((f) => f.emoji === '👍').map((f) => f.name)).toEqual(['Bo']);
    expect(seen.filter((f) => f.emoji === '🔥').map((f) => f.name)).toContain('Bo');
    // The sender sees its own as "You".
    await guest.waitForSelector('[data-testid="reaction-float"][data-emoji="👍"] >> text=You');

    // Typing digits in the chat sends no reaction: a 😂 (key 2) would show before the 👏 sent after it.
    await guest.fill('[data-testid="chat-input"]', '');
    await guest.type('[data-testid="chat-input"]', '2');
    expect(await guest.inputValue('[data-testid="chat-input"]')).toBe('2');
    await guest.click('[data-testid="reaction-button"][data-emoji="👏"]');
    await host.waitForSelector('[data-testid="reaction-float"][data-emoji="👏"]');
    expect(await host.locator('[data-testid="reaction-float"][data-emoji="😂"]').count()).toBe(0);
    await guest.fill('[data-testid="chat-input"]', '');
  });

  it('with reduced motion a reaction fades in place and does not move', async () => {
    // The last ones are gone (> 1.8 s ago): the server's 1 s rate window starts afresh.
    await host.waitForFunction(() => !document.querySelector('[data-testid="reaction-float"]'), undefined, { timeout: 5000 });
    await guest.click('[data-testid="reaction-button"][data-emoji="🎉"]');
    await calm.waitForSelector('[data-testid="reaction-float"][data-emoji="🎉"]');
    const still = await track(calm, '🎉', 400);
    const style = await calm.$eval('[data-testid="reaction-float"][data-emoji="🎉"]', (e) => ({
      animation: getComputedStyle(e).animationName,
      transform: getComputedStyle(e).transform,
      opacity: Number(getComputedStyle(e).opacity),
      name: e.querySelector('[data-testid="reaction-name"]')?.textContent,
    }));
    console.log(`🎉 with reduced motion: top ${still.first.toFixed(1)} -> ${still.second.toFixed(1)} px, animation ${style.animation}, transform ${style.transform}, opacity ${style.opacity}`);
    expect(still.second).toBe(still.first);
    expect(style.transform).toBe('none');
    expect(style.opacity).toBeGreaterThan(0.5); // shown, only without the movement
    expect(style.name).toBe('Bo');
    expect(style.animation).toMatch(/reaction-fade$/); // Angular scopes the keyframes' name
    await calm.waitForSelector('[data-testid="reaction-float"]', { state: 'detached', timeout: 5000 });
  });

  it('the fourth reaction within a second is refused by the server, quietly, and reactions work again after', async () => {
    // The last reaction is gone (> 1.8 s ago): the server's 1 s window starts afresh.
    await host.waitForFunction(() => !document.querySelector('[data-testid="reaction-float"]'), undefined, { timeout: 5000 });
    // Four presses in one go: the bar does not hold any back, the server refuses the fourth.
    await guest.$eval('[data-testid="reaction-button"][data-emoji="😮"]', (button) => {
      for (let i = 0; i < 4; i++) (button as HTMLButtonElement).click();
    });
    // The refusal (RATE_LIMITED) dims the bar for a moment, without any error message.
    await guest.waitForSelector('[data-testid="reactions-bar"][data-cooling="true"]');
    expect(await guest.locator('[role="alert"]').count()).toBe(0);
    await host.waitForFunction(() => document.querySelectorAll('[data-testid="reaction-float"][data-emoji="😮"]').length === 3);
    const shown = await floating(host);
    console.log(`4 presses at once -> the host sees ${shown.filter((f) => f.emoji === '😮').length}`);
    expect(shown.filter((f) => f.emoji === '😮')).toHaveLength(3);

    // A moment later it works again, and nothing else broke.
    await guest.waitForSelector('[data-testid="reactions-bar"]:not([data-cooling])', { timeout: 5000 });
    await guest.click('[data-testid="reaction-button"][data-emoji="👏"]');
    await host.waitForSelector('[data-testid="reaction-float"][data-emoji="👏"] >> text=Bo');
    expect(await guest.locator('[data-testid="reconnecting"]').count()).toBe(0);
    await guest.fill('[data-testid="chat-input"]', 'still chatting');
    await guest.press('[data-testid="chat-input"]', 'Enter');
    await host.waitForSelector('[data-testid="chat-message"]:has-text("still chatting")');
  });
});
