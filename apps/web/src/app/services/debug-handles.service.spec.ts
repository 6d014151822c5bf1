import { TestBed } from '@angular/core/testing';
import { DEBUG_FLAG_KEY, DEBUG_FLAG_ON, DebugHandlesService, MAX_PROBLEMS } from './debug-handles.service';

describe('DebugHandlesService', () => {
  const originalError = console.error;
  beforeEach(() => localStorage.clear());
  afterEach(() => {
    TestBed.resetTestingModule();
    // The problem log lives for the page's life; the specs share one page.
    console.error = originalError;
    Reflect.deleteProperty(window, '__wpProblems');
  });

  it('publishes nothing on window without the wp.debug flag (production), and builds nothing', () => {
    const create = jest.fn(() => ({ secret: 1 }));
    const hide = TestBed.inject(DebugHandlesService).expose('__wpSync', create);
    expect(create).not.toHaveBeenCalled();
    expect('__wpSync' in window).toBe(false);
    hide();
    expect('__wpSync' in window).toBe(false);
  });

  it('ignores any other flag value', () => {
    localStorage.setItem(DEBUG_FLAG_KEY, 'true');
    TestBed.inject(DebugHandlesService).expose('__wpLive', () => ({}));
    expect('__wpLive' in window).toBe(false);
  });

  it('with the flag, publishes a frozen handle and removes it again', () => {
    localStorage.setItem(DEBUG_FLAG_KEY, DEBUG_FLAG_ON);
    const hide = TestBed.inject(DebugHandlesService).expose('__wpLive', () => ({ latencyMs: () => 42, video: null, hls: null }));
    expect(window.__wpLive?.latencyMs()).toBe(42);
    expect(Object.isFrozen(window.__wpLive)).toBe(true);
    hide();
    expect('__wpLive' in window).toBe(false);
  });

  it('leaves a newer handle of the same name in place', () => {
    localStorage.setItem(DEBUG_FLAG_KEY, DEBUG_FLAG_ON);
    const debug = TestBed.inject(DebugHandlesService);
    const hideOld = debug.expose('__wpLive', () => ({ latencyMs: () => 1, video: null, hls: null }));
    const hideNew = debug.expose('__wpLive', () => ({ latencyMs: () => 2, video: null, hls: null }));
    hideOld();
    expect(window.__wpLive?.latencyMs()).toBe(2);
    hideNew();
    expect('__wpLive' in window).toBe(false);
  });

  describe('the problem log window.__wpProblems', () => {
    let seen: unknown[][];

    beforeEach(() => {
      seen = [];
      // The "original" console.error the wrapper must keep calling.
      console.error = (...args: unknown[]) => void seen.push(args);
    });
    it('does not exist without the flag, and console.error stays untouched', () => {
      const before = console.error;
      TestBed.inject(DebugHandlesService);
      expect('__wpProblems' in window).toBe(false);
      expect(console.error).toBe(before);
    });

    it('records console.error calls (and still logs them), error events, unhandled rejections and CSP violations', () => {
      localStorage.setItem(DEBUG_FLAG_KEY, DEBUG_FLAG_ON);
      TestBed.inject(DebugHandlesService);
      console.error('player failed', new Error('boom'), { code: 7 });
      expect(seen).toEqual([['player failed', new Error('boom'), { code: 7 }]]);
      window.dispatchEvent(new ErrorEvent('error', { message: 'Uncaught x', error: new TypeError('x is undefined'), filename: 'main.js', lineno: 3, colno: 9 }));
      const rejection = new Event('unhandledrejection') as Event & { reason: unknown };
      rejection.reason = new Error('nobody caught me');
      window.dispatchEvent(rejection);
      const csp = Object.assign(new Event('securitypolicyviolation'), {
        effectiveDirective: 'script-src',
        blockedURI: 'eval',
        sourceFile: 'http://127.0.0.1/chunk.js',
        lineNumber: 12,
      });
      document.dispatchEvent(csp);
      expect(window.__wpProblems).toEqual([
        'console.error: player failed Error: boom {"code":7}',
        'error: TypeError: x is undefined (main.js:3:9)',
        'unhandledrejection: Error: nobody caught me',
        'csp: script-src blocked eval at http://127.0.0.1/chunk.js:12',
      ]);
    });

    it('starts once per page however many times it is asked, and stops growing at MAX_PROBLEMS', () => {
      localStorage.setItem(DEBUG_FLAG_KEY, DEBUG_FLAG_ON);
      const debug = TestBed.inject(DebugHandlesService);
      debug.recordProblems();
      debug.recordProblems();
      console.error('once');
      expect(window.__wpProblems).toEqual(['console.error: once']);
      expect(seen).toEqual([['once']]);
      for (let i = 0; i < MAX_PROBLEMS + 10; i++) console.error(`loop ${i}`);
      expect(window.__wpProblems).toHaveLength(MAX_PROBLEMS);
      expect(seen).toHaveLength(MAX_PROBLEMS + 11);
    });
  });
});
