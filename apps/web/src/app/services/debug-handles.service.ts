import { DOCUMENT, Injectable, inject } from '@angular/core';
import { BrowserStorageService } from './browser-storage.service';

/**
 * Browser tests and benchmarks read the app's inner state through `window.__wp*` handles
 * (`__wpSync` can even send raw events). They exist only in a browser that opted in by setting
 * localStorage `wp.debug` to `1` before the app starts: the e2e specs and bench scripts do that
 * with an init script. Without the flag, production pages expose nothing.
 */
export const DEBUG_FLAG_KEY = 'wp.debug';
export const DEBUG_FLAG_ON = '1';

/** The handles the app can publish on `window`. */
export type DebugHandleName = '__wpSync' | '__wpLive';

/** At most this many problems are kept: a page stuck in an error loop must not grow without end. */
export const MAX_PROBLEMS = 200;

declare global {
  interface Window {
    /**
     * Every error the page saw since the app started (debug flag only): `error` events,
     * unhandled rejections, CSP violations and `console.error` calls. WebDriver cannot always
     * read the console (WebKitWebDriver cannot), so the browser tests read this in every engine.
     */
    __wpProblems?: string[];
  }
}

function textOf(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

@Injectable({ providedIn: 'root' })
export class DebugHandlesService {
  private readonly view = inject(DOCUMENT).defaultView;
  private readonly storage = inject(BrowserStorageService);

  constructor() {
    this.recordProblems();
  }

  get enabled(): boolean {
    return this.storage.read(DEBUG_FLAG_KEY) === DEBUG_FLAG_ON;
  }

  /**
   * Publishes `create()` as `window[name]` when the flag is set (`create` is not called
   * otherwise). Returns the function that removes it again, unless a newer one replaced it.
   */
  expose(name: DebugHandleName, create: () => object): () => void {
    const view = this.view;
    if (!view || !this.enabled) return () => undefined;
    const handle = Object.freeze(create());
    Reflect.defineProperty(view, name, { value: handle, configurable: true, writable: true, enumerable: false });
    return () => {
      if (Reflect.get(view, name) === handle) Reflect.deleteProperty(view, name);
    };
  }

  /**
   * With the flag, starts the in-page problem log `window.__wpProblems` (once per page: the
   * listeners and the `console.error` wrapper stay for the page's life, the original
   * `console.error` is still called). Without the flag it does nothing. Called when the service
   * is first created; the app creates it at startup (an app initializer) so errors of the
   * first page are caught too.
   */
  recordProblems(): void {
    const view = this.view;
    if (!view || !this.enabled || view.__wpProblems) return;
    const problems: string[] = [];
    Reflect.defineProperty(view, '__wpProblems', { value: problems, configurable: true, writable: false, enumerable: false });
    const record = (kind: string, text: string) => {
      if (problems.length < MAX_PROBLEMS) problems.push(`${kind}: ${text}`);
    };
    view.addEventListener('error', (e: ErrorEvent) => {
      // Script errors only: a resource that failed to load fires a plain Event at its element,
      // which does not bubble here (the player reports its own media errors in the UI).
      const where = e.filename ? ` (${e.filename}:${e.lineno}:${e.colno})` : '';
      record('error', `${e.error !== undefined && e.error !== null ? textOf(e.error) : e.message || 'resource failed'}${where}`);
    });
    view.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => record('unhandledrejection', textOf(e.reason)));
    view.document.addEventListener('securitypolicyviolation', (e: SecurityPolicyViolationEvent) =>
      record('csp', `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
    );
    const console = view.console;
    const original = console.error.bind(console);
    console.error = (...args: unknown[]) => {
      record('console.error', args.map(textOf).join(' '));
      original(...args);
    };
  }
}
