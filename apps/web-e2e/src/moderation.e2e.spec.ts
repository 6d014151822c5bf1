import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type Member, createParty, joinInBrowser, openAs } from './party';

const row = (page: Page, name: string) => page.locator('[data-testid="participant"]', { hasText: name });
const countParticipants = (page: Page, n: number) =>
  page.waitForFunction((expected) => document.querySelectorAll('[data-testid="participant"]').length === expected, n);

describe('the host removes, bans and locks in real browsers', () => {
  let server: BuiltServer;
  let browser: Browser;
  let host: Member;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startBuiltServer();
    browser = await launchChromium();
    host = await openAs(browser, server.url, await createParty(server.url, 'Ann'));
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await host?.context.close();
    await browser?.close();
    await server?.close();
  });

  async function guest(name: string): Promise<Page> {
    const { context, page } = await joinInBrowser(browser, server.url, host.identity.sessionId, name);
    contexts.push(context);
    return page;
  }

  it('a banned guest is told so and cannot rejoin from that browser; a locked party refuses newcomers while the guests already in still chat', async () => {
    const bo = await guest('Bo');
    await bo.waitForSelector('[data-testid="participant"]');
    const cy = await guest('Cy');
    await cy.waitForSelector('[data-testid="participant"]');
    await countParticipants(host.page, 3);

    // Removing asks first; Cancel sends nothing.
    await row(host.page, 'Bo').locator('[data-testid="participant-actions"]').click();
    await host.page.click('[role="menuitem"]:has-text("Remove from party")');
    const dialog = host.page.locator('[data-testid="remove-confirm"]');
    expect(await dialog.locator('#remove-title').innerText()).toBe('Remove Bo from the party?');
    await host.page.click('[data-testid="remove-confirm-cancel"]');
    await dialog.waitFor({ state: 'detached', timeout: 5000 }); // it closes on the next render
    expect(await dialog.count()).toBe(0);
    expect(await row(host.page, 'Bo').count()).toBe(1);

    await row(host.page, 'Bo').locator('[data-testid="participant-actions"]').click();
    await host.page.click('[role="menuitem"]:has-text("Remove from party")');
    await host.page.click('[data-testid="remove-confirm-ban"]');
    await countParticipants(host.page, 2);

    await bo.waitForSelector('[data-testid="kicked"]');
    expect(await bo.locator('[data-testid="kicked"]').innerText()).toContain('You were removed from this party');
    await bo.click('button:has-text("Join again")');
    await bo.fill('input[name="name"]', 'Bo again');
    await bo.click('[data-testid="join-submit"]');
    await bo.waitForSelector('[data-testid="join-error"]');
    expect(await bo.locator('[data-testid="join-error"]').innerText()).toContain('the host removed you from this party');

    // The host locks the party: the invite hint says so, and a new browser is refused.
    await host.page.click('[data-testid="lock-party"]');
    await host.page.waitForSelector('wp-invite-link .hint:has-text("The party is locked: nobody new can join.")');
    const dee = await guest('Dee');
    await dee.waitForSelector('[data-testid="join-error"]');
    expect(await dee.locator('[data-testid="join-error"]').innerText()).toContain('party is locked');

    // Cy, already in, keeps chatting.
    await cy.fill('[data-testid="chat-input"]', 'still here');
    await cy.press('[data-testid="chat-input"]', 'Enter');
    await host.page.waitForSelector('[data-testid="chat-message"]:has-text("still here")');
    expect(await cy.locator('[data-testid="chat-input"]').inputValue()).toBe('');
    await countParticipants(host.page, 2);
  });
});
