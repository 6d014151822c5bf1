import type { DebugHandlesService } from '../../services/debug-handles.service';
import { LiveAutoPlayer, type LivePlayback, type LivePlayerEvents } from './live-player';
import {
  CATCH_UP_ABOVE_S,
  CATCH_UP_RATE,
  JUMP_ABOVE_S,
  LIVE_TARGET_BEHIND_S,
  LiveWsPlayer,
  estimateLatencyMs,
  liveEdgeAction,
  mediaSourceClass,
  mimeOf,
  showIdFromHlsUrl,
  isPreviewUrl,
} from './live-ws-player';

describe('isPreviewUrl', () => {
  it('is true only for the creator preview (?preview=1)', () => {
    expect(isPreviewUrl('/api/live/S1/hls/index.m3u8?preview=1')).toBe(true);
    expect(isPreviewUrl('https://watch.example/api/live/S1/hls/index.m3u8?a=b&preview=1')).toBe(true);
    expect(isPreviewUrl('/api/live/S1/hls/index.m3u8')).toBe(false);
    expect(isPreviewUrl('/api/live/S1/hls/index.m3u8?preview=0')).toBe(false);
  });
});

describe('showIdFromHlsUrl', () => {
  it('takes the show id from the HLS URL, relative or absolute', () => {
    expect(showIdFromHlsUrl('/api/live/ShowId_000000001/hls/index.m3u8')).toBe('ShowId_000000001');
    expect(showIdFromHlsUrl('https://watch.example/api/live/abc-DEF_1/hls/index.m3u8?x=1')).toBe('abc-DEF_1');
    expect(showIdFromHlsUrl('/api/live/a%20b/hls/index.m3u8')).toBe('a b');
  });

  it('is null for anything else', () => {
    expect(showIdFromHlsUrl('/api/media/abc/hls/index.m3u8')).toBeNull();
    expect(showIdFromHlsUrl('/api/live//hls/index.m3u8')).toBeNull();
    expect(showIdFromHlsUrl('/api/live/%E0%A4%A/hls/index.m3u8')).toBeNull();
    expect(showIdFromHlsUrl('')).toBeNull();
  });
});

describe('liveEdgeAction', () => {
  it('plays at normal speed near the target', () => {
    expect(liveEdgeAction(0.2, 10, 1)).toEqual({ kind: 'rate', rate: 1 });
    expect(liveEdgeAction(LIVE_TARGET_BEHIND_S, 10, 1)).toEqual({ kind: 'rate', rate: 1 });
    expect(liveEdgeAction(CATCH_UP_ABOVE_S, 10, 1)).toEqual({ kind: 'rate', rate: 1 }); // one fragment of slack
    expect(liveEdgeAction(CATCH_UP_ABOVE_S + 0.01, 10, 1)).toEqual({ kind: 'rate', rate: CATCH_UP_RATE });
  });

  it('catches up gently when further behind, until back at the target', () => {
    expect(CATCH_UP_RATE).toBeGreaterThanOrEqual(1.05);
    expect(CATCH_UP_RATE).toBeLessThanOrEqual(1.1);
    expect(liveEdgeAction(2, 10, 1)).toEqual({ kind: 'rate', rate: CATCH_UP_RATE });
    // hysteresis: a catch-up under way goes on below the start threshold...
    expect(liveEdgeAction(1, 10, CATCH_UP_RATE)).toEqual({ kind: 'rate', rate: CATCH_UP_RATE });
    // ...down to the target
    expect(liveEdgeAction(LIVE_TARGET_BEHIND_S - 0.01, 10, CATCH_UP_RATE)).toEqual({ kind: 'rate', rate: 1 });
  });

  it('jumps to the target when more than ~3 s behind', () => {
    expect(liveEdgeAction(JUMP_ABOVE_S, 20, 1)).toEqual({ kind: 'rate', rate: CATCH_UP_RATE });
    expect(liveEdgeAction(JUMP_ABOVE_S + 0.1, 20, 1)).toEqual({ kind: 'jump', to: 20 - LIVE_TARGET_BEHIND_S });
    expect(liveEdgeAction(5, 0.2, 1)).toEqual({ kind: 'jump', to: 0 }); // never before the start
  });
});

describe('estimateLatencyMs', () => {
  it('is now minus the newest fragment arrival, plus the distance to the edge, minus one fragment', () => {
    expect(estimateLatencyMs(10_000, 9_500, 0.75, 0.5)).toBe(500 + 750 - 500);
  });
});

describe('mediaSourceClass / mimeOf', () => {
  it('prefers MediaSource, takes ManagedMediaSource alone, null without MSE', () => {
    class A {}
    class B {}
    expect(mediaSourceClass({ MediaSource: A, ManagedMediaSource: B })).toBe(A);
    expect(mediaSourceClass({ ManagedMediaSource: B })).toBe(B);
    expect(mediaSourceClass({})).toBeNull();
  });

  it('builds the SourceBuffer type', () => {
    expect(mimeOf('avc1.64001f,mp4a.40.2')).toBe('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
  });
});

const noDebug = { expose: () => () => undefined } as unknown as DebugHandlesService;
const events = (): LivePlayerEvents => ({
  muted: jest.fn(),
  trouble: jest.fn(),
  playing: jest.fn(),
  waiting: jest.fn(),
  paused: jest.fn(),
  ended: jest.fn(),
});

type Handler = (...args: unknown[]) => void;
class FakeWatchSocket {
  readonly handlers = new Map<string, Handler>();
  readonly connect = jest.fn();
  readonly disconnect = jest.fn();
  on(name: string, handler: Handler) {
    this.handlers.set(name, handler);
    return this;
  }
  removeAllListeners() {
    this.handlers.clear();
    return this;
  }
  fire(name: string, ...args: unknown[]) {
    this.handlers.get(name)?.(...args);
  }
}

describe('LiveWsPlayer falls back', () => {
  const originalMediaSource = (globalThis as { MediaSource?: unknown }).MediaSource;
  afterEach(() => {
    (globalThis as { MediaSource?: unknown }).MediaSource = originalMediaSource;
    jest.useRealTimers();
  });

  function player(socket = new FakeWatchSocket()) {
    const fallback = jest.fn();
    const p = new LiveWsPlayer(document.createElement('video'), events(), noDebug, {
      fallback,
      openSocket: (showId) => {
        expect(showId).toBe('S1');
        return socket as never;
      },
      initTimeoutMs: 4000,
    });
    return { p, fallback, socket };
  }

  it('without MSE (jsdom has none), before opening a socket', async () => {
    (globalThis as { MediaSource?: unknown }).MediaSource = undefined;
    const { p, fallback, socket } = player();
    await p.load('/api/live/S1/hls/index.m3u8');
    expect(fallback).toHaveBeenCalledWith('no Media Source Extensions');
    expect(socket.connect).not.toHaveBeenCalled();
  });

  it('when the socket is refused', async () => {
    (globalThis as { MediaSource?: unknown }).MediaSource = { isTypeSupported: () => true };
    const { p, fallback, socket } = player();
    await p.load('/api/live/S1/hls/index.m3u8');
    expect(socket.connect).toHaveBeenCalled();
    socket.fire('connect_error', Object.assign(new Error('refused'), { data: { code: 'SHOW_NOT_LIVE' } }));
    expect(fallback).toHaveBeenCalledWith('connect_error SHOW_NOT_LIVE');
    expect(socket.disconnect).toHaveBeenCalled();
  });

  it('when no live:init comes within the timeout', async () => {
    jest.useFakeTimers();
    (globalThis as { MediaSource?: unknown }).MediaSource = { isTypeSupported: () => true };
    const { p, fallback } = player();
    await p.load('/api/live/S1/hls/index.m3u8');
    jest.advanceTimersByTime(3900);
    expect(fallback).not.toHaveBeenCalled();
    jest.advanceTimersByTime(200);
    expect(fallback).toHaveBeenCalledWith('no live:init in time');
  });

  it('when the codecs are not supported', async () => {
    (globalThis as { MediaSource?: unknown }).MediaSource = { isTypeSupported: (t: string) => !t.includes('hev1') };
    const { p, fallback, socket } = player();
    await p.load('/api/live/S1/hls/index.m3u8');
    socket.fire('live:init', { codecs: 'hev1.1.6.L93.B0', data: new ArrayBuffer(8) });
    expect(fallback).toHaveBeenCalledWith('codecs not supported: hev1.1.6.L93.B0');
  });
});

describe('LiveAutoPlayer', () => {
  const fake = (): LivePlayback & { load: jest.Mock; destroy: jest.Mock; goLive: jest.Mock } => ({
    load: jest.fn(() => Promise.resolve()),
    play: jest.fn(() => Promise.resolve()),
    pause: jest.fn(),
    unmute: jest.fn(),
    goLive: jest.fn(),
    behindLiveS: () => 1,
    destroy: jest.fn(),
  });

  it('uses WebSocket, and HLS with the same URL once it falls back', async () => {
    const ws = fake();
    const hls = fake();
    let fallback: (reason: string) => void = () => undefined;
    const auto = new LiveAutoPlayer(
      (f) => {
        fallback = f;
        return ws;
      },
      () => hls,
    );
    await auto.load('/api/live/S1/hls/index.m3u8');
    expect(auto.transport).toBe('ws');
    auto.goLive();
    expect(ws.goLive).toHaveBeenCalled();
    fallback('no live:init in time');
    expect(ws.destroy).toHaveBeenCalled();
    expect(hls.load).toHaveBeenCalledWith('/api/live/S1/hls/index.m3u8');
    expect(auto.transport).toBe('hls');
    expect(auto.fallbackReason).toBe('no live:init in time');
    fallback('again');
    expect(auto.fallbackReason).toBe('no live:init in time');
    auto.destroy();
    expect(hls.destroy).toHaveBeenCalled();
  });
});
