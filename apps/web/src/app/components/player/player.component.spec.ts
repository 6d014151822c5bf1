import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Media, PlaybackControl, PlaybackState, Source } from '@watch-party/contracts';
import { SyncEngineService } from '../../services/sync-engine.service';
import { mediaItem } from '../../testing/media';
import { PlayerComponent } from './player.component';

const MP4: Source = { kind: 'url', url: 'https://example.com/film.mp4' };
const PLAYING: PlaybackState = { playing: true, position: 10, rate: 1, at: 0, rev: 3, by: 'h', action: 'play' };

describe('PlayerComponent', () => {
  let fixture: ComponentFixture<PlayerComponent>;
  let controls: PlaybackControl[];
  let engine: {
    attach: jest.Mock;
    detach: jest.Mock;
    mediaChanged: jest.Mock;
    unlockPlayback: jest.Mock;
    expectedPosition: () => number | null;
    needsGesture: ReturnType<typeof signal<boolean>>;
    status: ReturnType<typeof signal<string>>;
    mediaError: ReturnType<typeof signal<string | null>>;
  };
  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);

  async function render(inputs: {
    source?: Source | null;
    state?: PlaybackState | null;
    canControl?: boolean;
    media?: Media | null;
    mediaProblem?: string | null;
  }) {
    fixture = TestBed.createComponent(PlayerComponent);
    fixture.componentRef.setInput('source', inputs.source ?? null);
    fixture.componentRef.setInput('media', inputs.media ?? null);
    fixture.componentRef.setInput('mediaProblem', inputs.mediaProblem ?? null);
    fixture.componentRef.setInput('state', inputs.state ?? null);
    fixture.componentRef.setInput('canControl', inputs.canControl ?? false);
    fixture.componentRef.setInput('controlHint', 'Only Ann (host) can control playback');
    fixture.componentRef.setInput('emptyHint', 'Ann (host) or a controller will pick something to watch.');
    fixture.componentInstance.control.subscribe((c) => controls.push(c));
    await fixture.whenStable();
  }

  const key = (k: string, target: HTMLElement = q('player') as HTMLElement) => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  };

  beforeEach(() => {
    controls = [];
    engine = {
      attach: jest.fn(),
      detach: jest.fn(),
      mediaChanged: jest.fn(),
      unlockPlayback: jest.fn(),
      expectedPosition: () => 12.25,
      needsGesture: signal(false),
      status: signal('ready'),
      mediaError: signal<string | null>(null),
    };
    TestBed.configureTestingModule({
      imports: [PlayerComponent],
      providers: [{ provide: SyncEngineService, useValue: engine }],
    });
  });

  it('without a source says who will pick one, and shows no controls', async () => {
    await render({});
    expect(q('player-empty')?.textContent).toContain('Ann (host) or a controller will pick something to watch.');
    expect(q('play-pause')).toBeNull();
  });

  it('hands its <video> to the sync engine and loads an mp4 natively', async () => {
    await render({ source: MP4, state: PLAYING, canControl: true });
    const video = q<HTMLVideoElement>('video');
    expect(engine.attach).toHaveBeenCalledWith(video);
    expect(video?.getAttribute('src')).toBe(MP4.kind === 'url' ? MP4.url : '');
    expect(engine.mediaChanged).toHaveBeenCalled();
  });

  it("a viewer's group controls are disabled and say who controls; shortcuts send nothing", async () => {
    await render({ source: MP4, state: PLAYING, canControl: false });
    for (const id of ['play-pause', 'seek', 'rate']) {
      expect(q<HTMLButtonElement>(id)?.disabled).toBe(true);
    }
    expect(q('play-pause')?.parentElement?.getAttribute('title')).toBe('Only Ann (host) can control playback');
    key('k');
    key(' ');
    key('ArrowRight');
    q('play-pause')?.click();
    expect(controls).toEqual([]);
    // Personal controls still work.
    expect(q<HTMLButtonElement>('mute')?.disabled).toBe(false);
  });

  function metadata(duration: number) {
    const video = q<HTMLVideoElement>('video') as HTMLVideoElement;
    Object.defineProperty(video, 'duration', { value: duration });
    video.dispatchEvent(new Event('durationchange'));
  }

  it('controllers send commands; the local player is not touched', async () => {
    await render({ source: MP4, state: PLAYING, canControl: true });
    metadata(100);
    q('play-pause')?.click();
    // Pause where this viewer is: the engine's expected position.
    expect(controls.pop()).toEqual({ action: 'pause', position: 12.25 });
    key('ArrowRight');
    expect(controls.pop()).toEqual({ action: 'seek', position: 17.25 });
    key('ArrowLeft');
    expect(controls.pop()).toEqual({ action: 'seek', position: 7.25 });
    key('k');
    expect(controls.pop()).toEqual({ action: 'pause', position: 12.25 });

    fixture.componentRef.setInput('state', { ...PLAYING, playing: false });
    await fixture.whenStable();
    key(' ');
    expect(controls.pop()).toEqual({ action: 'play' });
    expect(q('play-pause')?.getAttribute('aria-label')).toBe('Play for everyone');
  });

  it('the seek bar sends one seek on release, none while dragging', async () => {
    await render({ source: MP4, state: { ...PLAYING, playing: false }, canControl: true });
    const seek = q<HTMLInputElement>('seek') as HTMLInputElement;
    metadata(100); // jsdom has no media: pretend metadata arrived
    await fixture.whenStable();
    expect(seek.disabled).toBe(false);
    seek.value = '40';
    seek.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(q('time')?.textContent).toContain('0:40');
    expect(controls).toEqual([]);
    seek.dispatchEvent(new Event('change'));
    expect(controls).toEqual([{ action: 'seek', position: 40 }]);
  });

  it('the speed menu sends a rate command', async () => {
    await render({ source: MP4, state: PLAYING, canControl: true });
    q('rate')?.click();
    await fixture.whenStable();
    const items = [...el().querySelectorAll<HTMLElement>('[role="menuitemradio"]')];
    expect(items.map((i) => i.textContent?.trim())).toEqual(['0.5×', '0.75×', '✓ Normal', '1.25×', '1.5×', '1.75×', '2×']);
    expect(items[2].getAttribute('aria-checked')).toBe('true');
    items[4].click();
    expect(controls).toEqual([{ action: 'rate', rate: 1.5 }]);
  });

  it('m mutes and ↑/↓ change the volume, locally', async () => {
    await render({ source: MP4, state: PLAYING, canControl: false });
    const video = q<HTMLVideoElement>('video') as HTMLVideoElement;
    key('m');
    await fixture.whenStable();
    expect(video.muted).toBe(true);
    expect(q('mute')?.getAttribute('aria-label')).toBe('Unmute');
    key('m');
    key('ArrowDown');
    await fixture.whenStable();
    expect(video.muted).toBe(false);
    expect(video.volume).toBeCloseTo(0.9);
    expect(controls).toEqual([]);
  });

  it('shows "Click to join playback" when autoplay is refused while the group plays', async () => {
    await render({ source: MP4, state: PLAYING, canControl: false });
    expect(q('join-playback')).toBeNull();
    engine.needsGesture.set(true);
    await fixture.whenStable();
    q('join-playback')?.click();
    expect(engine.unlockPlayback).toHaveBeenCalled();
  });

  it('shows a buffering spinner while the engine reports buffering', async () => {
    await render({ source: MP4, state: PLAYING, canControl: false });
    expect(q('buffering')).toBeNull();
    engine.status.set('buffering');
    await fixture.whenStable();
    expect(q('buffering')?.getAttribute('role')).toBe('status');
  });

  describe('a library item as the source', () => {
    const ID = 'MediaId_00000001';
    const SOURCE: Source = { kind: 'media', mediaId: ID };
    const TRANSCODING = mediaItem({ id: ID, title: 'Concert', status: 'processing', progress: 0.42, hlsUrl: null });

    it('says it is loading until the details arrive', async () => {
      await render({ source: SOURCE, state: PLAYING });
      expect(q('player-preparing')?.textContent).toContain('Loading the video');
      expect(q('player-empty')).toBeNull();
      expect(q('play-pause')).toBeNull();
      expect(q<HTMLVideoElement>('video')?.hidden).toBe(true);
    });

    it('shows the transcoding progress until the first segments exist, without controls', async () => {
      await render({ source: SOURCE, state: PLAYING, canControl: true, media: TRANSCODING });
      expect(q('player-preparing')?.textContent).toContain('Preparing “Concert”');
      expect(q('preparing-progress')?.textContent).toContain('Transcoding 42%');
      expect(q('player-preparing')?.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('42');
      expect(q('play-pause')).toBeNull();
      expect(q<HTMLVideoElement>('video')?.getAttribute('src')).toBeNull();
    });

    it('ignores details of another item', async () => {
      await render({ source: SOURCE, media: mediaItem({ id: 'OtherItem_000001' }) });
      expect(q('player-preparing')?.textContent).toContain('Loading the video');
    });

    it('plays the original file once ready when there is no HLS (no ffmpeg on the server)', async () => {
      await render({ source: SOURCE, state: PLAYING, canControl: true, media: TRANSCODING });
      engine.mediaChanged.mockClear();
      fixture.componentRef.setInput('media', { ...TRANSCODING, status: 'ready', progress: 1 });
      await fixture.whenStable();
      expect(q<HTMLVideoElement>('video')?.getAttribute('src')).toBe(TRANSCODING.fileUrl);
      expect(engine.mediaChanged).toHaveBeenCalled();
      expect(q('player-preparing')).toBeNull();
      expect(q('play-pause')).not.toBeNull();
    });

    it('a progress update of the same playable URL does not reload the video', async () => {
      const file = { ...TRANSCODING, status: 'ready' as const, progress: 1 };
      await render({ source: SOURCE, state: PLAYING, media: file });
      engine.mediaChanged.mockClear();
      fixture.componentRef.setInput('media', { ...file, posterUrl: '/p.jpg' });
      await fixture.whenStable();
      expect(engine.mediaChanged).not.toHaveBeenCalled();
    });

    it('says why an item cannot be played', async () => {
      await render({ source: SOURCE, mediaProblem: 'This video was deleted from the library. Pick another one.' });
      expect(q('player-preparing')?.textContent).toContain('This video was deleted');
    });
  });
});
