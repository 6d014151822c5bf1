import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Puppeteer from 'puppeteer-core';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import type { EngineBrowser, EnginePage, NewPageOptions } from './engine';

// puppeteer-core is ES modules only, which Jest's CommonJS runtime cannot load (and Jest
// replaces `require` and `node:module` with its own). Node's real require loads ES modules
// (require(esm), Node >= 22.12), so puppeteer is loaded through it, outside Jest's registry.
const nodeRequire = process.getBuiltinModule('node:module').createRequire(__filename);
const puppeteer = (nodeRequire('puppeteer-core') as typeof Puppeteer).default;

/**
 * Debian's Firefox ESR through puppeteer-core over WebDriver BiDi (Playwright's own Firefox
 * cannot be downloaded here, and Playwright fails on stock Firefox). Headless, a fresh profile
 * per launch, one browser context per participant.
 */
export const FIREFOX_PATH = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';
const DEFAULT_WAIT_MS = 20_000;
const DEFAULT_VIEWPORT = { width: 1280, height: 800 };
/** A polite close() gets this long before the process is killed. */
const CLOSE_MS = 10_000;

/**
 * Nothing may leave the machine: every background service that phones home is off, and any
 * request to a host other than the loopback goes to a dead proxy (as Chromium's resolver rule).
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  // A page plays without a click, as in the Chromium suites (--autoplay-policy=no-user-gesture-required).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'media.autoplay.block-webaudio': false,
  // Updates, add-ons, plugins (OpenH264 / Widevine downloads).
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.update.disabledForTesting': true,
  'app.update.url': '',
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'media.gmp-manager.url': '',
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-widevinecdm.enabled': false,
  'media.eme.enabled': false,
  // Telemetry, studies, remote settings, push.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.archive.enabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'dom.push.enabled': false,
  'dom.push.connection.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.search.update': false,
  'geo.enabled': false,
  'geo.provider.network.url': '',
  // Captive portal, connectivity checks, safe browsing.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  // Start pages, prefetching, speculative connections.
  'browser.startup.page': 0,
  'browser.startup.homepage': 'about:blank',
  'browser.newtabpage.enabled': false,
  'browser.aboutwelcome.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'network.predictor.enabled': false,
  'network.trr.mode': 5,
  // The dead proxy: loopback is never proxied (allow_hijacking_localhost stays false).
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.share_proxy_settings': true,
  'network.proxy.no_proxies_on': '127.0.0.1,localhost',
  'network.proxy.allow_hijacking_localhost': false,
};

/** `fn(arg)` as an expression the page evaluates (the adapter's arguments are plain JSON). */
function call<A>(fn: (arg: A) => unknown, arg: A): string {
  return `(${fn.toString()})(${JSON.stringify(arg ?? null)})`;
}

/** `promise`, or a rejection naming `what` after `ms` (a BiDi input action can hang). */
async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function firefoxPage(context: BrowserContext, page: Page): EnginePage {
  const seen: string[] = [];
  page.on('pageerror', (error) => seen.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.push(`console: ${message.text()}`);
  });
  return {
    engine: 'firefox',
    goto: async (url) => {
      await page.goto(url);
    },
    // Sent as source text: puppeteer lives in Node's realm, not Jest's, and refuses to serialize
    // objects made in Jest's realm (their prototype is another Object.prototype).
    evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) => page.evaluate(call(fn, arg)) as Promise<R>,
    waitFor: async (fn, arg, timeoutMs = DEFAULT_WAIT_MS) => {
      await page.waitForFunction(call(fn, arg), { timeout: timeoutMs, polling: 50 });
    },
    // Like Playwright's, clicks and fills wait for their element first (the app renders after load).
    // A real pointer click at the element's centre. puppeteer's own ElementHandle.click never
    // answered on the rate menu's items in Firefox (its scroll-into-view check waits forever
    // there), so the point is computed in the page.
    click: async (selector) => {
      await page.waitForSelector(selector, { timeout: DEFAULT_WAIT_MS });
      const point = (await page.evaluate(
        call((sel: string) => {
          const el = document.querySelector(sel);
          if (!el) return null;
          el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
          const r = el.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }, selector),
      )) as { x: number; y: number } | null;
      if (!point) throw new Error(`no element ${selector}`);
      await bounded(page.mouse.click(point.x, point.y), DEFAULT_WAIT_MS, `click ${selector}`);
    },
    // puppeteer's Locator.fill types key by key over BiDi (seconds per field on this machine);
    // setting the value and firing `input` is what the app's forms listen to.
    fill: async (selector, text) => {
      await page.waitForSelector(selector, { timeout: DEFAULT_WAIT_MS });
      await page.evaluate(
        call(
          ({ selector, text }: { selector: string; text: string }) => {
            const field = document.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector);
            if (!field) throw new Error(`no field ${selector}`);
            field.focus();
            field.value = text;
            field.dispatchEvent(new Event('input', { bubbles: true }));
            field.dispatchEvent(new Event('change', { bubbles: true }));
          },
          { selector, text },
        ),
      );
    },
    problems: async () => {
      const inPage = page.isClosed() ? [] : await page.evaluate(() => window.__wpProblems ?? []);
      return [...inPage, ...seen];
    },
    close: () => context.close(),
  };
}

export async function launchFirefox(): Promise<EngineBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'wp-e2e-firefox-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: FIREFOX_PREFS,
      // Keep the process out of the test's terminal, and never let it outlive a crashed test.
      handleSIGINT: true,
      handleSIGTERM: true,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    engine: 'firefox',
    newPage: async (options: NewPageOptions = {}) => {
      const context = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        await page.setViewport(options.viewport ?? DEFAULT_VIEWPORT);
        // Not on the initial about:blank, where localStorage throws a SecurityError.
        if (options.debug) await page.evaluateOnNewDocument("if (location.protocol.startsWith('http')) localStorage.setItem('wp.debug', '1')");
        return firefoxPage(context, page);
      } catch (error) {
        await context.close();
        throw error;
      }
    },
    close: async () => {
      try {
        // A hung BiDi session never answers close(): the process is killed below either way.
        await bounded(browser.close(), CLOSE_MS, 'Firefox close()').catch(() => undefined);
      } finally {
        const child = browser.process();
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
