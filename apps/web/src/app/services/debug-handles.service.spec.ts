import { TestBed } from '@angular/core/testing';
import { DEBUG_FLAG_KEY, DEBUG_FLAG_ON, DebugHandlesService } from './debug-handles.service';

describe('DebugHandlesService', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => TestBed.resetTestingModule());

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
});
