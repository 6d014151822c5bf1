import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { createParty, joinInBrowser } from './party';

/** Everything a page said on its console as an error, plus every CSP violation it hit. */
async function watchConsole(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return problems;
}

describe('a visit leaves the console clean', () => {
  let server: BuiltServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startBuiltServer();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('home, joining a party, chatting and the library log no error and trip no Content-Security-Policy (zod runs jitless)', async () => {
    const host = await createParty(server.url, 'Ann');
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    const page = await context.newPage();
    const problems = await watchConsole(page);
    try {
      await page.goto(`${server.url}/`);
      await page.waitForSelector('h1');
      await page.goto(`${server.url}/library`);
      await page.waitForSelector('h1');
      await page.goto(`${server.url}/watch/${host.sessionId}`);
      await page.fill('input[name="name"]', 'Bo');
      await page.click('[data-testid="join-submit"]');
      await page.waitForSelector('[data-testid="participant"]');
      await page.fill('[data-testid="chat-input"]', 'hello');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-testid="chat-message"]:has-text("hello")');
      // A second participant's join reaches this page too (one more parse of every kind).
      const guest = await joinInBrowser(browser, server.url, host.sessionId, 'Cy');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="participant"]').length >= 2);
      await guest.context.close();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
