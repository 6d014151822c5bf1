import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';

describe('a watch party in two browsers', () => {
  let server: BuiltServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startBuiltServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const participantNames = (page: Page) =>
    page.locator('[data-testid="participant"]').allInnerTexts();

  it('host creates a party, a guest opens the invite link and joins, both see both', async () => {
    const hostCtx = await browser.newContext();
    const guestCtx = await browser.newContext();
    try {
      const host = await hostCtx.newPage();
      await host.goto(server.url);
      await host.fill('input[name="hostName"]', 'Ann');
      await host.fill('input[name="partyName"]', 'Film club');
      await host.click('[data-testid="create-party"]');
      await host.waitForURL(/\/watch\/[A-Za-z0-9_-]+$/);
      const invite = await host.locator('[data-testid="invite-link"]').inputValue();
      expect(invite).toBe(host.url());
      await host.waitForSelector('[data-testid="participant"]');

      const guest = await guestCtx.newPage();
      await guest.goto(invite);
      await guest.fill('input[name="name"]', 'Bo');
      await guest.click('[data-testid="join-submit"]');

      for (const page of [host, guest]) {
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="participant"]').length === 2);
        const names = (await participantNames(page)).join(' | ');
        expect(names).toContain('Ann');
        expect(names).toContain('Bo');
        expect(await page.locator('[data-testid="host-badge"]').count()).toBe(1);
      }

      // Reloading keeps the same identity: still two participants, no join card.
      await guest.reload();
      await guest.waitForFunction(() => document.querySelectorAll('[data-testid="participant"]').length === 2);
      expect(await guest.locator('[data-testid="join-submit"]').count()).toBe(0);
    } finally {
      await hostCtx.close();
      await guestCtx.close();
    }
  });

  it('shows a clear state for an unknown party and for a wrong password', async () => {
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(`${server.url}/watch/AAAAAAAAAAAAAAAA`);
      await page.waitForSelector('text=/not found/i');

      const res = await fetch(`${server.url}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hostName: 'Ann', password: 'letmein' }),
      });
      const { session } = (await res.json()) as { session: { id: string } };
      await page.goto(`${server.url}/watch/${session.id}`);
      await page.fill('input[name="name"]', 'Eve');
      await page.fill('input[name="password"]', 'wrong-one');
      await page.click('[data-testid="join-submit"]');
      await page.waitForSelector('text=/wrong password/i');
      expect(await page.locator('[data-testid="participant"]').count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });
});
