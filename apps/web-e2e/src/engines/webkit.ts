import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { By, Capabilities, WebDriver, until } from 'selenium-webdriver';
import { Executor, HttpClient } from 'selenium-webdriver/http';
import { freePort } from '../built-server';
import type { EngineBrowser, EnginePage, NewPageOptions } from './engine';

/**
 * WebKitGTK (Debian's `webkit2gtk-driver`): one WebKitWebDriver per participant, each starting
 * its own MiniBrowser in automation mode (an ephemeral web context, so every participant has
 * its own cookies and storage). The GTK 3 MiniBrowser has no headless mode, so every browser
 * of this launcher draws on one private Xvfb display.
 */
const DRIVER = process.env['WEBKIT_WEBDRIVER'] ?? '/usr/bin/WebKitWebDriver';

/** Debian ships MiniBrowser under the multiarch lib dir (`/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/`). */
function findMiniBrowser(): string {
  const fromEnv = process.env['WEBKIT_MINIBROWSER'];
  if (fromEnv) return fromEnv;
  for (const dir of readdirSync('/usr/lib')) {
    const path = join('/usr/lib', dir, 'webkit2gtk-4.1', 'MiniBrowser');
    if (existsSync(path)) return path;
  }
  throw new Error('no MiniBrowser under /usr/lib/*/webkit2gtk-4.1: apt-get install webkit2gtk-driver');
}
const BROWSER_ARGS = [
  '--automation',
  // A page plays without a click, as in the Chromium suites (--autoplay-policy=no-user-gesture-required).
  // Without it play() is refused (NotAllowedError) unless a WebDriver script or click started it.
  // WebKitSettings flags (--media-playback-requires-user-gesture=...) do not reach the views an
  // automation session opens; this website policy does.
  '--autoplay-policy=allow',
  // Nothing may leave the machine: every host but the loopback goes to a dead proxy.
  '--proxy=http://127.0.0.1:9',
  '--ignore-host=127.0.0.1',
  '--ignore-host=localhost',
];
const POLL_MS = 50;
const DEFAULT_WAIT_MS = 20_000;
const STARTUP_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `p` settles or after `ms`, whichever comes first, leaving no timer behind. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Longest wait for one WebDriver command (its own script and page-load timeouts are 30 s).
 * WebKitWebDriver now and then stops answering altogether (seen on an idle machine); without a
 * bound every later step of the test hangs too, with nothing saying which command it was.
 */
const COMMAND_MS = 35_000;

/** `p`, or a rejection with the message `why()` once `ms` have passed without an answer; no timer left behind. */
async function withDeadline<T>(p: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(why())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `p`, or a rejection naming `what` once COMMAND_MS have passed without an answer. */
function answered<T>(what: string, p: Promise<T>): Promise<T> {
  return withDeadline(p, COMMAND_MS, () => `WebKitWebDriver did not answer ${what} in ${COMMAND_MS} ms`);
}

/** Process groups and temp dirs started here and not yet cleaned: cleaned if the test process exits first. */
const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
process.once('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

function track(child: ChildProcess): ChildProcess {
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    child.once('exit', () => liveGroups.delete(pid));
  }
  return child;
}

/** Ends a process group this file started (detached), politely first; resolves once it is gone. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  // The driver's browser children share its group; make sure none outlives it.
  kill('SIGKILL');
}

/** Starts Xvfb on a display it picks itself (-displayfd), so parallel test files never collide. */
async function startXvfb(): Promise<{ display: string; child: ChildProcess }> {
  const child = track(
    spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      detached: true,
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const fd3 = child.stdio[3] as Readable;
  try {
    const display = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`Xvfb did not start in ${STARTUP_MS} ms: ${stderr}`)), STARTUP_MS);
      fd3.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${out.trim()}`);
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Xvfb exited with ${code}: ${stderr}`));
      });
    });
    // The display number is all Xvfb says there; an open pipe would keep the test process alive.
    fd3.destroy();
    return { display, child };
  } catch (e) {
    await stopGroup(child);
    throw e;
  }
}

interface Participant {
  page: EnginePage;
  dispose(): Promise<void>;
}

async function startParticipant(binary: string, env: NodeJS.ProcessEnv, options: NewPageOptions): Promise<Participant> {
  const port = await freePort();
  const child = track(spawn(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  let output = '';
  let spawnError: Error | null = null;
  // A missing driver binary is an 'error' event: without a listener it would kill the process.
  child.once('error', (e) => (spawnError = e));
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let driver: WebDriver | undefined;
  const dispose = async () => {
    const d = driver;
    driver = undefined;
    if (d) await within(d.quit().catch(() => undefined), 5000);
    await stopGroup(child);
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let waited = 0; ; waited += 100) {
      if (spawnError) throw new Error(`could not start ${DRIVER} (install webkit2gtk-driver): ${(spawnError as Error).message}`);
      if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}: ${output}`);
      try {
        if ((await fetch(`${url}/status`)).ok) break;
      } catch {
        // not listening yet
      }
      if (waited > STARTUP_MS) throw new Error(`WebKitWebDriver did not answer on ${url}: ${output}`);
      await sleep(100);
    }
    const caps = new Capabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary, args: BROWSER_ARGS },
    });
    driver = WebDriver.createSession(new Executor(new HttpClient(url)), caps);
    // WebKitWebDriver waits forever for a browser that never comes up.
    await withDeadline(driver.getSession(), STARTUP_MS, () => `no MiniBrowser session in ${STARTUP_MS} ms: ${output}`);
    await driver.manage().setTimeouts({ script: 30_000, pageLoad: 30_000 });
    if (options.viewport) await setViewport(driver, options.viewport);
    return { page: makePage(driver, options, dispose), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Sizes the window so the page (not the window with MiniBrowser's toolbar) gets `size`. */
async function setViewport(driver: WebDriver, size: { width: number; height: number }): Promise<void> {
  const win = driver.manage().window();
  await win.setRect({ ...size, x: 0, y: 0 });
  const inner = await driver.executeScript<{ w: number; h: number }>('return { w: innerWidth, h: innerHeight }');
  if (inner.w !== size.width || inner.h !== size.height) {
    await win.setRect({ width: 2 * size.width - inner.w, height: 2 * size.height - inner.h, x: 0, y: 0 });
  }
}

/**
 * Runs `(${source})(arg)` in the page; JSON in, JSON out, rejections carried back as text. The
 * source goes into the script WebDriver injects (the app's CSP forbids eval in the page).
 */
function asyncRunner(source: string): string {
  return `
  const done = arguments[arguments.length - 1];
  const arg = JSON.parse(arguments[0]);
  Promise.resolve()
    .then(() => (${source})(arg))
    .then(
      (value) => done({ ok: true, json: value === undefined ? null : JSON.stringify(value), undef: value === undefined }),
      (error) => done({ ok: false, error: String(error) + (error && error.stack ? ' at ' + error.stack : '') }),
    );
`;
}

type RunnerResult = { ok: true; json: string | null; undef: boolean } | { ok: false; error: string };

function makePage(driver: WebDriver, options: NewPageOptions, dispose: () => Promise<void>): EnginePage {
  const debugOrigins = new Set<string>();

  const evaluate = async <A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> => {
    const result = await answered(
      `a script (${fn.toString().slice(0, 60)})`,
      driver.executeAsyncScript<RunnerResult>(asyncRunner(fn.toString()), JSON.stringify(arg ?? null)),
    );
    if (!result.ok) throw new Error(`in the page: ${result.error}`);
    return (result.undef || result.json === null ? undefined : JSON.parse(result.json)) as R;
  };

  const element = async (selector: string) => {
    const el = await answered(`the lookup of ${selector}`, driver.wait(until.elementLocated(By.css(selector)), 10_000, `no element ${selector}`));
    await answered(`the visibility of ${selector}`, driver.wait(until.elementIsVisible(el), 10_000, `${selector} is not visible`));
    return el;
  };

  return {
    engine: 'webkit',
    async goto(url) {
      if (options.debug) {
        // WebDriver has no init script: set the flag on the origin before the app starts there.
        const origin = new URL(url).origin;
        if (!debugOrigins.has(origin)) {
          await answered(`get ${origin}/`, driver.get(`${origin}/`));
          await answered('the debug flag script', driver.executeScript("localStorage.setItem('wp.debug', '1')"));
          debugOrigins.add(origin);
        }
      }
      await answered(`get ${url}`, driver.get(url));
    },
    evaluate,
    async waitFor(fn, arg, timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        try {
          if (await evaluate(fn, arg)) return;
          last = undefined;
        } catch (e) {
          last = e;
        }
        if (Date.now() >= deadline) {
          const why = last instanceof Error ? ` (last error: ${last.message})` : '';
          throw new Error(`waitFor timed out after ${timeoutMs} ms: ${fn.toString().slice(0, 200)}${why}`);
        }
        await sleep(POLL_MS);
      }
    },
    async click(selector) {
      const el = await element(selector);
      await answered(`a click on ${selector}`, el.click());
    },
    async fill(selector, text) {
      const el = await element(selector);
      await answered(`clearing ${selector}`, el.clear());
      await answered(`typing into ${selector}`, el.sendKeys(text));
    },
    async problems() {
      const fromPage = await evaluate(() => {
        const list = (window as unknown as { __wpProblems?: unknown[] }).__wpProblems;
        return Array.isArray(list) ? list.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))) : [];
      }, null).catch((e: unknown) => [`problems(): ${String(e)}`]);
      // WebKitWebDriver has no log endpoint, and MiniBrowser ignores its console-to-stdout
      // setting in automation mode: the app's own list is all there is.
      return fromPage;
    },
    close: dispose,
  };
}

/** A WebKitGTK browser: one Xvfb display, one WebKitWebDriver + MiniBrowser per page. */
export async function launchWebkit(): Promise<EngineBrowser> {
  const binary = findMiniBrowser();
  const home = mkdtempSync(join(tmpdir(), 'wp-e2e-webkit-'));
  liveDirs.add(home);
  let xvfb: { display: string; child: ChildProcess } | undefined;
  try {
    xvfb = await startXvfb();
  } catch (e) {
    rmSync(home, { recursive: true, force: true });
    liveDirs.delete(home);
    throw e;
  }
  const display = xvfb.display;
  const xvfbChild = xvfb.child;
  // Everything the browser writes (caches, GStreamer registry, storage) stays in the temp dir.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DISPLAY: display,
    WAYLAND_DISPLAY: '',
    HOME: home,
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: home,
    // No accessibility bus, no GPU in a container.
    NO_AT_BRIDGE: '1',
    WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    LIBGL_ALWAYS_SOFTWARE: '1',
  };
  const participants = new Set<Participant>();
  let closed = false;

  return {
    engine: 'webkit',
    async newPage(options = {}) {
      if (closed) throw new Error('this WebKit browser is closed');
      const p = await startParticipant(binary, env, options);
      participants.add(p);
      return {
        ...p.page,
        close: async () => {
          participants.delete(p);
          await p.dispose();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...participants].map((p) => p.dispose()));
      participants.clear();
      await stopGroup(xvfbChild);
      rmSync(home, { recursive: true, force: true });
      liveDirs.delete(home);
    },
  };
}
