import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../chromium';
import type { EngineBrowser, EnginePage, NewPageOptions } from './engine';

/** Debian's Chromium through playwright-core and the shared launcher; one context per participant. */
const DEFAULT_WAIT_MS = 20_000;
const DEFAULT_VIEWPORT = { width: 1280, height: 800 };

function chromiumPage(context: BrowserContext, page: Page): EnginePage {
  // What the engine itself reports: uncaught errors and console errors (CSP violations and
  // failed loads appear here even before the app's own problem log exists).
  const seen: string[] = [];
  page.on('pageerror', (error) => seen.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.push(`console: ${message.text()}`);
  });
  return {
    engine: 'chromium',
    goto: async (url) => {
      await page.goto(url);
    },
    // The adapter's arguments are plain JSON, so Playwright's handle unboxing never applies.
    evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) => page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown),
    waitFor: async (fn, arg, timeoutMs = DEFAULT_WAIT_MS) => {
      await page.waitForFunction(fn as (arg: unknown) => unknown, arg as unknown, { timeout: timeoutMs, polling: 50 });
    },
    click: (selector) => page.click(selector),
    fill: (selector, text) => page.fill(selector, text),
    problems: async () => {
      const inPage = page.isClosed() ? [] : await page.evaluate(() => window.__wpProblems ?? []);
      return [...inPage, ...seen];
    },
    close: () => context.close(),
  };
}

/**
 * Note: Playwright evaluations count as user gestures in Chromium (CDP userGesture), so the
 * autoplay policy is opened at launch, as for the other engines, rather than relied upon.
 */
export async function launchChromiumEngine(): Promise<EngineBrowser> {
  const browser: Browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  return {
    engine: 'chromium',
    newPage: async (options: NewPageOptions = {}) => {
      const context = await browser.newContext({ viewport: options.viewport ?? DEFAULT_VIEWPORT });
      try {
        if (options.debug) await context.addInitScript(() => localStorage.setItem('wp.debug', '1'));
        return chromiumPage(context, await context.newPage());
      } catch (error) {
        await context.close();
        throw error;
      }
    },
    close: () => browser.close(),
  };
}
