import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { CreatedLiveShow, JoinedSession, LiveShow } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { IdentityStoreService } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import { SOCKET_FACTORY } from '../../services/session-socket.service';
import { FakeSocket, handshakeError, snapshotFor } from '../../testing/fake-socket';
import { LIVE_PLAYER_FACTORY, type LivePlayback } from '../live/live-player';
import {
  CREATOR_SHOW_KEY,
  FFMPEG_OUTPUT_ARGS,
  GoLivePageComponent,
  OBS_SETTINGS_TEXT,
  commandParts,
  ffmpegCommand,
  fpsText,
  healthFps,
} from './go-live-page.component';

describe('commandParts', () => {
  it('cuts between arguments, keeps an option with its value and a quoted argument whole', () => {
    expect(commandParts('ffmpeg -re -i in.mp4 -c:v libx264 -f flv "rtmp://h:1935/live/k"')).toEqual([
      'ffmpeg',
      '-re',
      '-i in.mp4',
      '-c:v libx264',
      '-f flv',
      '"rtmp://h:1935/live/k"',
    ]);
    expect(commandParts('')).toEqual([]);
  });

  it('gives back the whole command when joined with spaces', () => {
    const command = ffmpegCommand('rtmp://example.test:1935/live', 'sk_secret_123');
    expect(commandParts(command).join(' ')).toBe(command);
    // no part starts with an option's value (an option is never cut from it)
    for (const part of commandParts(command)) expect(part.split(' ').length).toBeLessThanOrEqual(2);
  });
});

describe('healthFps / fpsText', () => {
  it('reads fps when the server sends it, else null ("— fps")', () => {
    const base = { kbps: 1, segmentSeconds: 1, lastSegmentAgeMs: 0 };
    expect(healthFps({ ...base, fps: 29.97 } as typeof base)).toBe(29.97);
    expect(healthFps(base)).toBeNull();
    expect(healthFps({ ...base, fps: null } as typeof base)).toBeNull();
    expect(healthFps({ ...base, fps: Number.NaN } as typeof base)).toBeNull();
    expect(healthFps({ ...base, fps: '30' } as unknown as typeof base)).toBeNull();
    expect(fpsText(30)).toBe('30 fps');
    expect(fpsText(29.97)).toBe('29.97 fps');
    expect(fpsText(null)).toBe('— fps');
  });
});

const SCHEDULED: LiveShow = {
  id: 'ShowId_000000001',
  title: 'DJ set',
  creatorName: 'Cleo',
  status: 'scheduled',
  startedAt: null,
  viewerCount: 0,
  hlsUrl: null,
  sessionId: 'ChatParty_000001',
  publishing: false,
};

const STARTED_AT = Date.parse('2026-01-01T20:00:00.000Z');
const LIVE: LiveShow = {
  ...SCHEDULED,
  status: 'live',
  startedAt: new Date(STARTED_AT).toISOString(),
  viewerCount: 2,
  hlsUrl: '/api/live/ShowId_000000001/hls/index.m3u8',
  publishing: true,
};

const CREATED: CreatedLiveShow = {
  show: SCHEDULED,
  streamKey: 'sk_secret_123',
  ingest: { rtmpUrl: 'rtmp://example.test:1935/live', wsPath: '/live-ingest' },
  participantId: 'host-1',
  token: 'tok-1',
};

describe('GoLivePageComponent', () => {
  let fixture: ComponentFixture<GoLivePageComponent>;
  let live: { create: jest.Mock; get: jest.Mock; end: jest.Mock; list: jest.Mock };
  let players: { video: HTMLVideoElement; load: jest.Mock; destroy: jest.Mock }[];
  let writeText: jest.Mock;
  let api: { joinSession: jest.Mock };
  let sockets: FakeSocket[];

  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);
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

  async function createShow(): Promise<void> {
    fixture = TestBed.createComponent(GoLivePageComponent);
    await settle();
    const title = q<HTMLInputElement>('show-title-input');
    const name = el().querySelector<HTMLInputElement>('[data-testid="creator-name-input"]');
    if (!title || !name) throw new Error('no form');
    title.value = 'DJ set';
    title.dispatchEvent(new Event('input'));
    name.value = 'Cleo';
    name.dispatchEvent(new Event('input'));
    q('create-show')?.click();
    await settle();
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: STARTED_AT + 65_000 });
    localStorage.clear();
    players = [];
    sockets = [];
    api = { joinSession: jest.fn() };
    writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    // jsdom has no MediaRecorder: pretend this browser can record, so browser mode is offered.
    (globalThis as { MediaRecorder?: unknown }).MediaRecorder = { isTypeSupported: () => true };
    live = {
      create: jest.fn().mockResolvedValue(CREATED),
      get: jest.fn().mockResolvedValue(SCHEDULED),
      end: jest.fn().mockResolvedValue({ ...LIVE, status: 'ended', hlsUrl: null, publishing: false }),
      list: jest.fn(),
    };
    TestBed.configureTestingModule({
      imports: [GoLivePageComponent],
      providers: [
        provideRouter([]),
        { provide: LiveApiService, useValue: live },
        { provide: ApiService, useValue: api },
        {
          provide: SOCKET_FACTORY,
          useValue: (token: string) => {
            const socket = new FakeSocket(token);
            sockets.push(socket);
            return socket.asSocket();
          },
        },
        {
          provide: LIVE_PLAYER_FACTORY,
          useValue: (video: HTMLVideoElement): LivePlayback => {
            const player = {
              video,
              load: jest.fn(() => Promise.resolve()),
              destroy: jest.fn(),
              play: jest.fn(() => Promise.resolve()),
              pause: jest.fn(),
              unmute: jest.fn(),
              goLive: jest.fn(),
              behindLiveS: () => null,
            };
            players.push(player);
            return player;
          },
        },
      ],
    });
  });

  afterEach(() => {
    fixture?.destroy();
    jest.useRealTimers();
    delete (globalThis as { MediaRecorder?: unknown }).MediaRecorder;
    delete (navigator as { clipboard?: unknown }).clipboard;
  });

  describe('OBS mode vs browser mode', () => {
    it('offers the camera and Go live while nothing publishes', async () => {
      await createShow();
      expect(q('start-preview')?.textContent).toContain('Turn on camera');
      expect(q('go-live')).not.toBeNull();
      expect(q('obs-mode')).toBeNull();
    });

    it('switches to "Live from your streaming software" with the elapsed time when OBS publishes', async () => {
      await createShow();
      live.get.mockResolvedValue(LIVE);
      await poll();
      expect(q('go-live')).toBeNull();
      expect(q('start-preview')).toBeNull();
      expect(text('obs-mode')).toContain('Live from your streaming software (OBS)');
      // now = startedAt + 65 s, plus the 3 s poll
      expect(text('elapsed')).toBe('1:08');
      await jest.advanceTimersByTimeAsync(2000);
      fixture.detectChanges();
      expect(text('elapsed')).toBe('1:10');
      expect(text('show-status')).toBe('Live');
    });

    it('goes back to browser mode, with a notice, when OBS stops during the grace period (publishing: false)', async () => {
      await createShow();
      live.get.mockResolvedValue(LIVE);
      await poll();
      expect(q('obs-mode')).not.toBeNull();
      live.get.mockResolvedValue({ ...LIVE, publishing: false });
      await poll();
      expect(q('obs-mode')).toBeNull();
      expect(q('go-live')).not.toBeNull();
      expect(q('interrupted')).not.toBeNull();
    });
  });

  describe('End show', () => {
    it('asks first; Cancel (or Escape) keeps the show, confirming ends it', async () => {
      await createShow();
      live.get.mockResolvedValue(LIVE);
      await poll();

      q('end-show')?.click();
      await settle();
      expect(live.end).not.toHaveBeenCalled();
      expect(text('end-confirm')).toContain('Really end the show?');
      expect(el().querySelector('[data-testid="end-confirm"]')?.getAttribute('role')).toBe('group');
      // The safe choice has the focus.
      expect(document.activeElement).toBe(q('cancel-end'));

      q('cancel-end')?.click();
      await settle();
      expect(q('end-confirm')).toBeNull();
      expect(document.activeElement).toBe(q('end-show'));
      expect(live.end).not.toHaveBeenCalled();

      q('end-show')?.click();
      await settle();
      q('end-confirm')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      await settle();
      expect(q('end-confirm')).toBeNull();
      expect(live.end).not.toHaveBeenCalled();

      q('end-show')?.click();
      await settle();
      q('confirm-end')?.click();
      await settle();
      expect(live.end).toHaveBeenCalledWith(SCHEDULED.id, CREATED.streamKey);
      expect(text('show-status')).toBe('Ended');
      expect(q('new-show')).not.toBeNull();
    });
  });

  describe('viewer link and OBS / ffmpeg hints', () => {
    async function copyWith(id: string): Promise<string> {
      q(id)?.click();
      await settle();
      return (writeText.mock.calls.at(-1) as [string])[0];
    }

    it('shows the absolute audience link, copies it and says Copied for a while', async () => {
      await createShow();
      const input = q<HTMLInputElement>('viewer-url');
      expect(input?.readOnly).toBe(true);
      expect(input?.value).toBe(`${location.origin}/live/${SCHEDULED.id}`);
      expect(await copyWith('copy-viewer-url')).toBe(`${location.origin}/live/${SCHEDULED.id}`);
      expect(text('copy-viewer-url')).toBe('Copied');
      await jest.advanceTimersByTimeAsync(2000);
      fixture.detectChanges();
      expect(text('copy-viewer-url')).toBe('Copy');
    });

    it('copies the server, the key, a full ffmpeg command and the OBS settings', async () => {
      await createShow();
      expect(await copyWith('copy-server')).toBe('rtmp://example.test:1935/live');
      expect(await copyWith('copy-key')).toBe('sk_secret_123');

      const command = await copyWith('copy-ffmpeg');
      expect(command).toBe(`ffmpeg -re -i input.mp4 ${FFMPEG_OUTPUT_ARGS} "rtmp://example.test:1935/live/sk_secret_123"`);
      for (const arg of [
        '-c:v libx264 -preset veryfast -tune zerolatency',
        '-g 60 -keyint_min 60 -sc_threshold 0',
        '-b:v 2500k -maxrate 2500k -bufsize 5000k',
        '-c:a aac -b:a 128k -ar 48000 -f flv',
      ]) {
        expect(command).toContain(arg);
      }
      expect(text('copy-ffmpeg')).toBe('Copied');
      // On screen the key stays hidden until "Show".
      expect(text('ffmpeg-command')).not.toContain('sk_secret_123');
      // Shown in parts that wrap only between them; its text is still the command, single-spaced.
      const shown = q('ffmpeg-command');
      expect(shown?.textContent).toBe(ffmpegCommand('rtmp://example.test:1935/live', '•'.repeat(12)));
      expect(shown?.querySelectorAll('.command-part').length).toBe(commandParts(shown?.textContent ?? '').length);
      expect(shown?.querySelector('.command-part')?.textContent).toBe('ffmpeg');

      const settings = await copyWith('copy-obs-settings');
      expect(settings).toBe(OBS_SETTINGS_TEXT);
      expect(settings).toMatch(/Keyframe Interval: 2 s \(1 s/);
      expect(settings).toContain('Rate Control: CBR');
      expect(settings).toContain('Tune: zerolatency');
      expect(text('obs-settings')).toContain('Rate Control: CBR');
      expect(text('copy-obs-settings')).toBe('Copied');
      expect(text('copy-ffmpeg')).toBe('Copy');
    });
  });

  describe('what viewers see', () => {
    it("plays the show's HLS muted while OBS is on air, and stops when the show ends", async () => {
      await createShow();
      expect(q('output-preview')).toBeNull();
      live.get.mockResolvedValue(LIVE);
      await poll();
      expect(text('output-preview')).toContain('What viewers see (a few seconds behind)');
      expect(players).toHaveLength(1);
      expect(players[0].video).toBe(q('output-video'));
      expect(players[0].video.muted).toBe(true);
      expect(players[0].load).toHaveBeenCalledWith(`${LIVE.hlsUrl}?preview=1`); // the creator's preview is not counted as a viewer
      await poll();
      expect(players).toHaveLength(1);
      // Stream health under the preview; red once no video has arrived for a while.
      live.get.mockResolvedValue({ ...LIVE, health: { kbps: 2480, segmentSeconds: 1, lastSegmentAgeMs: 400 } });
      await poll();
      expect(text('stream-health')).toMatch(/2480 kbit\/s\s*·\s*— fps\s*·\s*keyframe every 1\.0 s\s*·\s*last segment 0\.4 s ago/);
      live.get.mockResolvedValue({ ...LIVE, health: { kbps: 2480, fps: 30, segmentSeconds: 1, lastSegmentAgeMs: 400 } });
      await poll();
      expect(text('stream-fps')).toBe('30 fps');
      expect(q('stream-health')?.classList.contains('health-bad')).toBe(false);
      live.get.mockResolvedValue({ ...LIVE, health: { kbps: 0, segmentSeconds: 1, lastSegmentAgeMs: 7200 } });
      await poll();
      expect(text('stream-health')).toContain('no new video for 7 s');
      expect(q('stream-health')?.classList.contains('health-bad')).toBe(true);

      q('end-show')?.click();
      await settle();
      q('confirm-end')?.click();
      await settle();
      expect(q('output-preview')).toBeNull();
      expect(players[0].destroy).toHaveBeenCalled();
    });
  });

  describe("the show's chat", () => {
    const chat = () => q('creator-chat');

    it('connects to the show\'s party with the host pass from creation, and sends what the creator writes', async () => {
      await createShow();
      expect(sockets.map((s) => s.token)).toEqual([CREATED.token]);
      const socket = sockets[0];
      socket.responder = (event) => (event === 'chat:send' ? { ok: true } : undefined);
      socket.connected = true;
      socket.fire('connect');
      socket.fire('session:snapshot', snapshotFor(SCHEDULED.sessionId, CREATED.participantId));
      await settle();
      const input = chat()?.querySelector<HTMLTextAreaElement | HTMLInputElement>('[data-testid="chat-input"]');
      if (!input) throw new Error('no chat input');
      expect(input.disabled).toBe(false);
      input.value = 'hello viewers';
      input.dispatchEvent(new Event('input'));
      chat()?.querySelector('form')?.dispatchEvent(new Event('submit'));
      await settle();
      expect(socket.sent('chat:send').map((e) => e.payload)).toEqual([expect.objectContaining({ text: 'hello viewers' })]);
    });

    it('comes first in the side column while on air, after the setup before', async () => {
      await createShow();
      expect(chat()?.classList.contains('gl-chat-first')).toBe(false);
      live.get.mockResolvedValue(LIVE);
      await poll();
      expect(chat()?.classList.contains('gl-chat-first')).toBe(true);
      expect(chat()?.querySelector('wp-party-chat')).not.toBeNull();
    });

    it('leaves the chat when the show ends', async () => {
      await createShow();
      live.get.mockResolvedValue(LIVE);
      await poll();
      q('end-show')?.click();
      await settle();
      q('confirm-end')?.click();
      await settle();
      expect(sockets[0].disconnected).toBe(true);
      expect(chat()).toBeNull();
    });

    it('offers to join again, as the creator, when the pass is gone', async () => {
      await createShow();
      sockets[0].active = false;
      sockets[0].fire('connect_error', handshakeError('TOKEN_EXPIRED', 'token expired'));
      await settle();
      expect(TestBed.inject(IdentityStoreService).get(SCHEDULED.sessionId)).toBeNull();
      expect(text('creator-chat')).toContain('no longer in the chat');
      const joined: JoinedSession = { session: snapshotFor(SCHEDULED.sessionId, 'p2').session, participantId: 'p2', token: 'tok-2' };
      api.joinSession.mockResolvedValue(joined);
      q('creator-join-chat')?.click();
      await settle();
      expect(api.joinSession).toHaveBeenCalledWith(SCHEDULED.sessionId, { name: 'Cleo', deviceId: expect.any(String) });
      expect(sockets.at(-1)?.token).toBe('tok-2');
      expect(q('creator-join-chat')).toBeNull();
    });

    it('comes back with the stored show after a reload', async () => {
      localStorage.setItem(
        CREATOR_SHOW_KEY,
        JSON.stringify({ id: SCHEDULED.id, title: 'DJ set', sessionId: SCHEDULED.sessionId, streamKey: 'sk', rtmpUrl: null }),
      );
      TestBed.inject(IdentityStoreService).set(SCHEDULED.sessionId, { token: 'stored', participantId: 'host-1', name: 'Cleo' });
      fixture = TestBed.createComponent(GoLivePageComponent);
      await settle();
      expect(sockets.map((s) => s.token)).toEqual(['stored']);
    });
  });
});
