import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { LiveShow } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { LiveApiService } from '../../services/live-api.service';
import { SOCKET_FACTORY } from '../../services/session-socket.service';
import { FakeSocket } from '../../testing/fake-socket';
import { LIVE_PLAYER_FACTORY, type LivePlayback, type LivePlayerEvents } from './live-player';
import { LiveShowPageComponent, behindText } from './live-show-page.component';

const LIVE: LiveShow = {
  id: 'ShowId_000000001',
  title: 'DJ set',
  creatorName: 'Cleo',
  status: 'live',
  startedAt: '2026-01-01T20:00:00.000Z',
  viewerCount: 3,
  hlsUrl: '/api/live/ShowId_000000001/hls/index.m3u8',
  sessionId: 'ChatParty_000001',
  publishing: true,
};

/** Stands in for hls.js: the test fires the video's events and sets the distance to live. */
class FakePlayer implements LivePlayback {
  behind: number | null = 0.5;
  readonly load = jest.fn(() => Promise.resolve());
  readonly play = jest.fn(() => Promise.resolve());
  readonly pause = jest.fn();
  readonly unmute = jest.fn();
  readonly goLive = jest.fn(() => {
    this.behind = 0.5;
  });
  readonly destroy = jest.fn();
  constructor(
    readonly video: HTMLVideoElement,
    readonly events: LivePlayerEvents,
  ) {}
  behindLiveS(): number | null {
    return this.behind;
  }
}

describe('LiveShowPageComponent states', () => {
  let fixture: ComponentFixture<LiveShowPageComponent>;
  let get: jest.Mock;
  let players: FakePlayer[];

  const el = () => fixture.nativeElement as HTMLElement;
  const q = (id: string) => el().querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const text = (id: string) => q(id)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
    }
  };
  /** One poll of the show (every 3 s). */
  const poll = async () => {
    await jest.advanceTimersByTimeAsync(3000);
    await settle();
  };
  const player = () => players[players.length - 1];

  async function open(): Promise<void> {
    fixture = TestBed.createComponent(LiveShowPageComponent);
    fixture.componentRef.setInput('id', LIVE.id);
    await settle();
  }

  function key(k: string, target: EventTarget = document.body): KeyboardEvent {
    const event = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true });
    target.dispatchEvent(event);
    return event;
  }

  beforeEach(() => {
    jest.useFakeTimers();
    localStorage.clear();
    players = [];
    get = jest.fn().mockResolvedValue(LIVE);
    TestBed.configureTestingModule({
      imports: [LiveShowPageComponent],
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: { joinSession: jest.fn(), createSession: jest.fn() } },
        { provide: LiveApiService, useValue: { get } },
        { provide: SOCKET_FACTORY, useValue: (token: string) => new FakeSocket(token).asSocket() },
        {
          provide: LIVE_PLAYER_FACTORY,
          useValue: (video: HTMLVideoElement, events: LivePlayerEvents) => {
            const p = new FakePlayer(video, events);
            players.push(p);
            return p;
          },
        },
      ],
    });
  });

  afterEach(() => {
    fixture?.destroy();
    jest.useRealTimers();
  });

  it('says "Connecting to the stream…" until the video plays, then LIVE with the controls', async () => {
    await open();
    expect(players).toHaveLength(1);
    expect(player().load).toHaveBeenCalledWith(LIVE.hlsUrl);
    expect(text('stream-connecting')).toContain('Connecting to the stream…');

    player().events.playing();
    await settle();
    expect(q('stream-connecting')).toBeNull();
    expect(q('live-badge')).not.toBeNull();
    expect(text('go-live-edge')).toBe('LIVE');
    expect(q('volume')?.getAttribute('aria-label')).toBe('Volume');
    expect(q('fullscreen')?.getAttribute('aria-label')).toBe('Full screen');
    expect(q('play-pause')?.getAttribute('aria-label')).toBe('Pause');
    expect(document.title).toBe('🔴 DJ set · watch-party');
  });

  it('shows a spinner while the video waits for data', async () => {
    await open();
    player().events.playing();
    player().events.waiting(true);
    await settle();
    expect(q('buffering')).not.toBeNull();
    player().events.playing();
    await settle();
    expect(q('buffering')).toBeNull();
  });

  it('shows how far behind live it plays and jumps back to live on click or `l`', async () => {
    await open();
    player().events.playing();
    player().behind = 12.4;
    await jest.advanceTimersByTimeAsync(1000);
    await settle();
    expect(text('go-live-edge')).toBe('−12 s · Jump to live');
    expect(q('go-live-edge')?.getAttribute('aria-label')).toBe('12 seconds behind live. Jump to live');

    q('go-live-edge')?.click();
    await settle();
    expect(player().goLive).toHaveBeenCalledTimes(1);
    expect(text('go-live-edge')).toBe('LIVE');

    player().behind = 20;
    await jest.advanceTimersByTimeAsync(1000);
    await settle();
    expect(key('l').defaultPrevented).toBe(true);
    expect(player().goLive).toHaveBeenCalledTimes(2);
  });

  it('mutes, sets and remembers the volume; keys work on the page but not while typing in the chat', async () => {
    await open();
    player().events.playing();
    await settle();
    const video = el().querySelector('video') as HTMLVideoElement;

    q('mute')?.click();
    await settle();
    expect(video.muted).toBe(true);
    expect(q('mute')?.getAttribute('aria-label')).toBe('Unmute');
    expect(localStorage.getItem('wp.live.muted')).toBe('1');

    key('m');
    await settle();
    expect(video.muted).toBe(false);
    expect(player().unmute).toHaveBeenCalled();

    const slider = q('volume') as HTMLInputElement;
    slider.value = '0.3';
    slider.dispatchEvent(new Event('input'));
    await settle();
    expect(video.volume).toBeCloseTo(0.3);
    expect(localStorage.getItem('wp.volume')).toBe('0.3');

    // k pauses; typing "k" or "m" in the chat does nothing.
    key('k');
    expect(player().pause).toHaveBeenCalledTimes(1);
    const input = el().querySelector<HTMLInputElement>('[data-testid="chat-name"]');
    expect(input).not.toBeNull();
    expect(key('k', input as HTMLInputElement).defaultPrevented).toBe(false);
    key('m', input as HTMLInputElement);
    key(' ', input as HTMLInputElement);
    await settle();
    expect(player().pause).toHaveBeenCalledTimes(1);
    expect(video.muted).toBe(false);
  });

  it('starts with the remembered volume and mute', async () => {
    localStorage.setItem('wp.volume', '0.4');
    localStorage.setItem('wp.live.muted', '1');
    await open();
    const video = el().querySelector('video') as HTMLVideoElement;
    expect(video.volume).toBeCloseTo(0.4);
    expect(video.muted).toBe(true);
    expect((q('volume') as HTMLInputElement).value).toBe('0');
  });

  it('says the stream is interrupted while the publisher is away, and plays again when it is back', async () => {
    await open();
    player().events.playing();
    await settle();

    get.mockResolvedValue({ ...LIVE, publishing: false });
    await poll();
    expect(text('show-interrupted')).toContain('Stream interrupted');
    expect(text('show-interrupted')).toContain('Waiting for Cleo to come back');
    expect(q('live-badge')).toBeNull();
    expect(text('interrupted-badge')).toBe('Interrupted');
    expect(document.title).toBe('DJ set · watch-party');
    expect(q('go-live-edge')).toBeNull();
    expect((q('play-pause') as HTMLButtonElement).disabled).toBe(true);

    get.mockResolvedValue(LIVE);
    await poll();
    expect(q('show-interrupted')).toBeNull();
    expect(q('live-badge')).not.toBeNull();
    // A fresh player for the publisher's new stream.
    expect(players).toHaveLength(2);
    expect(players[0].destroy).toHaveBeenCalled();
  });

  it('says the show has ended, when, and links to the recording once there is one', async () => {
    await open();
    player().events.playing();
    await settle();

    const endedAt = '2026-01-01T21:30:00.000Z';
    get.mockResolvedValue({ ...LIVE, status: 'ended', hlsUrl: null, publishing: false, endedAt });
    // The playlist's end makes the page look at once.
    player().events.ended();
    await settle();
    expect(text('show-ended')).toContain('This show has ended');
    const d = new Date(endedAt);
    const clock = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    expect(text('ended-at')).toBe(`Ended at ${clock}`);
    expect(q('live-badge')).toBeNull();
    expect(q('live-video')).toBeNull();
    expect(q('live-controls')).toBeNull();
    expect(players[0].destroy).toHaveBeenCalled();
    expect(q('watch-recording')).toBeNull();

    get.mockResolvedValue({ ...LIVE, status: 'ended', hlsUrl: null, publishing: false, endedAt, recordingMediaId: 'Media_1' });
    await poll();
    expect(q('watch-recording')).not.toBeNull();
  });
});

describe('behindText', () => {
  it('says LIVE near the live position, else how far behind', () => {
    expect(behindText(null)).toBe('LIVE');
    expect(behindText(2.9)).toBe('LIVE');
    expect(behindText(3)).toBe('−3 s');
    expect(behindText(12.4)).toBe('−12 s');
  });
});
