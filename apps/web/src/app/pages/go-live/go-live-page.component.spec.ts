import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { CreatedLiveShow, LiveShow } from '@watch-party/contracts';
import { LiveApiService } from '../../services/live-api.service';
import { LIVE_PLAYER_FACTORY, type LivePlayback } from '../live/live-player';
import { FFMPEG_OUTPUT_ARGS, GoLivePageComponent, OBS_SETTINGS_TEXT } from './go-live-page.component';

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
      expect(text('stream-health')).toMatch(/2480 kbit\/s\s*·\s*keyframe every 1\.0 s\s*·\s*last segment 0\.4 s ago/);
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
});
