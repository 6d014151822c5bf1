import { DOCUMENT, Injectable, inject } from '@angular/core';
import { BrowserStorageService } from './browser-storage.service';

/**
 * Browser tests and benchmarks read the app's inner state through `window.__wp*` handles
 * (`__wpSync` can even send raw events). They exist only in a browser that opted in by setting
 * localStorage `wp.debug` to `1` before the app starts: the e2e specs and bench scripts do that
 * with a Playwright init script. Without the flag, production pages expose nothing.
 */
export const DEBUG_FLAG_KEY = 'wp.debug';
export const DEBUG_FLAG_ON = '1';

/** The handles the app can publish on `window`. */
export type DebugHandleName = '__wpSync' | '__wpLive';

@Injectable({ providedIn: 'root' })
export class DebugHandlesService {
  private readonly view = inject(DOCUMENT).defaultView;
  private readonly storage = inject(BrowserStorageService);

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
}
