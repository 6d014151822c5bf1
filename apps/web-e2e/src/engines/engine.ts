/**
 * One browser-test codebase for three engines: Chromium (playwright-core), Firefox ESR
 * (puppeteer-core over WebDriver BiDi) and WebKitGTK (selenium-webdriver + WebKitWebDriver).
 * Specs talk to pages only through this thin, promise-based interface; every argument and
 * result crosses into the page as JSON, and functions are serialized (no closures).
 */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

export const ENGINES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];

export interface NewPageOptions {
  viewport?: { width: number; height: number };
  /** Set localStorage `wp.debug` = `1` before the app starts, so it publishes `window.__wp*`. */
  debug?: boolean;
}

export interface EnginePage {
  readonly engine: EngineName;
  goto(url: string): Promise<void>;
  /** Runs `fn(arg)` in the page and resolves with its (JSON) result; `fn` may return a promise. */
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** Resolves once `fn(arg)` is truthy in the page (polled); rejects after `timeoutMs` (default 20 s). */
  waitFor<A>(fn: (arg: A) => unknown, arg: A, timeoutMs?: number): Promise<void>;
  click(selector: string): Promise<void>;
  /** Replaces the text of an input or textarea, as typing would. */
  fill(selector: string, text: string): Promise<void>;
  /** Errors the page logged: `window.__wpProblems` (debug builds) plus whatever the engine reports. */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}

export interface EngineBrowser {
  readonly engine: EngineName;
  /** A fresh participant: its own cookies and storage. */
  newPage(options?: NewPageOptions): Promise<EnginePage>;
  /** Closes every page and process this browser started. */
  close(): Promise<void>;
}
