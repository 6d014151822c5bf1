import { launchChromiumEngine } from './chromium';
import type { EngineBrowser, EngineName } from './engine';
import { launchFirefox } from './firefox';
import { launchWebkit } from './webkit';

export * from './engine';
export * from './element-clock';
export * from './external-losses';
export * from './rate-write-probe';

declare global {
  interface Window {
    /** The app's in-page problem log (DebugHandlesService, debug flag only). */
    __wpProblems?: string[];
  }
}

/** Starts `name`'s browser, kept off every network but the loopback. */
export function launchEngine(name: EngineName): Promise<EngineBrowser> {
  switch (name) {
    case 'chromium':
      return launchChromiumEngine();
    case 'firefox':
      return launchFirefox();
    case 'webkit':
      return launchWebkit();
  }
}
