import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Media, PlaybackControl, PlaybackState, Source } from '@watch-party/contracts';
import { BrowserStorageService } from '../../services/browser-storage.service';
import { FETCH } from '../../services/http';
import { SyncEngineService } from '../../services/sync-engine.service';
import { mediaItem } from '../../testing/media';
import { PlayerComponent } from './player.component';

const MP4: Source = { kind: 'url', url: 'https://example.com/film.mp4' };
/** jsdom has no TextTrack: each <track> element gets one of these (what the browser parses and times). */
class FakeTextTrack {
  mode: TextTrackMode = 'disabled';
  activeCues: { text: string }[] = [];
}
const textTracks = new WeakMap<HTMLTrackElement, FakeTextTrack>();
function textTrackOf(element: HTMLTrackElement): FakeTextTrack {
  let track = textTracks.get(element);
  if (!track) {
    track = new FakeTextTrack();
    textTracks.set(element, track);
  }
  return track;
}

const PLAYING: PlaybackState = { playing: true, position: 10, rate: 1, at: 0, rev: 3, by: 'h', action: 'play' };

describe('PlayerComponent', () => {
  let fixture: ComponentFixture<PlayerComponent>;
  let controls: PlaybackControl[];
  let fetchMock: jest.Mock<Promise<Response>, [string, RequestInit?]>;
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
    fetchMock = jest.fn<Promise<Response>, [string, RequestInit?]>(() => Promise.reject(new TypeError('offline')));
    localStorage.clear();
    TestBed.configureTestingModule({
      imports: [PlayerComponent],
      providers: [
        { provide: SyncEngineService, useValue: engine },
        { provide: FETCH, useValue: fetchMock },
      ],
    });
  });

  beforeAll(() => {
    Object.defineProperty(HTMLTrackElement.prototype, 'track', {
      configurable: true,
      get(this: HTMLTrackElement) {
        return textTrackOf(this);
      },
    });
  });

  afterAll(() => {
    Reflect.deleteProperty(HTMLTrackElement.prototype, 'track');
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
  describe('the duration of a library item still being transcoded', () => {
    const ID = 'MediaId_00000001';
    const SOURCE: Source = { kind: 'media', mediaId: ID };
    const GROWING = mediaItem({ id: ID, status: 'processing', progress: 0.2, durationSec: 120 });

    it('shows and scales to the known length, not the seconds encoded so far', async () => {
      await render({ source: SOURCE, state: { ...PLAYING, playing: false, position: 30 }, canControl: true, media: GROWING });
      metadata(14); // the HLS stream knows 14 s so far
      await fixture.whenStable();
      expect(q('time')?.textContent).toContain('0:30 / 2:00');
      const seek = q<HTMLInputElement>('seek') as HTMLInputElement;
      expect(seek.max).toBe('120');
      expect(seek.getAttribute('aria-valuetext')).toBe('0:30 of 2:00');
      expect(el().querySelector<HTMLElement>('.seek-played')?.style.width).toBe('25%');
      key('ArrowRight');
      expect(controls.pop()).toEqual({ action: 'seek', position: 17.25 });
      seek.value = '200';
      seek.dispatchEvent(new Event('change'));
      expect(controls.pop()).toEqual({ action: 'seek', position: 120 });
    });

    it("falls back to the element's duration when the item's length is unknown, and for links", async () => {
      await render({ source: SOURCE, state: { ...PLAYING, playing: false, position: 3 }, media: { ...GROWING, durationSec: null } });
      metadata(14);
      await fixture.whenStable();
      expect(q('time')?.textContent).toContain('0:03 / 0:14');

      await render({ source: MP4, state: { ...PLAYING, playing: false, position: 3 }, media: GROWING });
      metadata(50);
      await fixture.whenStable();
      expect(q('time')?.textContent).toContain('0:03 / 0:50');
    });
  });

  describe('subtitles (each viewer picks alone)', () => {
    const ID = 'MediaId_00000001';
    const SOURCE: Source = { kind: 'media', mediaId: ID };
    const EN = { id: 'en1', label: 'English', lang: 'en', url: `/api/media/${ID}/subtitles/en1.vtt` };
    const FR = { id: 'fr1', label: 'Français', lang: 'fr', url: `/api/media/${ID}/subtitles/fr1.vtt` };
    const WITH_TRACKS = mediaItem({ id: ID, subtitles: [EN, FR] });

    const trackElements = () => [...el().querySelectorAll<HTMLTrackElement>('video track')];
    const menuItems = () => [...el().querySelectorAll<HTMLElement>('[role="menuitemradio"]')];
    async function pick(label: string) {
      q('captions')?.click();
      await fixture.whenStable();
      menuItems()
        .find((i) => i.textContent?.includes(label))
        ?.click();
      await fixture.whenStable();
    }
    const storage = () => TestBed.inject(BrowserStorageService);

    it('has no subtitles button when the source has no tracks', async () => {
      await render({ source: SOURCE, state: PLAYING, media: mediaItem({ id: ID }) });
      expect(q('captions')).toBeNull();
      expect(q('player')?.getAttribute('aria-keyshortcuts')).toContain(' C');
    });

    it('lists Off and each track; picking one puts a hidden <track> on the video, sends nothing, remembers it', async () => {
      await render({ source: SOURCE, state: PLAYING, canControl: true, media: WITH_TRACKS });
      expect(q('captions')?.getAttribute('aria-label')).toBe('Subtitles: off');
      q('captions')?.click();
      await fixture.whenStable();
      expect(menuItems().map((i) => i.textContent?.trim())).toEqual(['✓ Off', 'English', 'Français']);
      expect(trackElements()).toEqual([]);

      menuItems()[2].click();
      await fixture.whenStable();
      const [element] = trackElements();
      expect(trackElements()).toHaveLength(1);
      expect(element.kind).toBe('subtitles');
      expect(element.getAttribute('src')).toBe(FR.url);
      expect(element.srclang).toBe('fr');
      expect(element.label).toBe('Français');
      expect(textTrackOf(element).mode).toBe('hidden');
      expect(q('captions')?.getAttribute('aria-label')).toBe('Subtitles: Français');
      expect(controls).toEqual([]);
      expect(JSON.parse(storage().read('wp.captions') ?? 'null')).toEqual({ on: true, lang: 'fr', label: 'Français' });

      await pick('Off');
      expect(trackElements()).toEqual([]);
      expect(textTrackOf(element).mode).toBe('disabled');
      expect(JSON.parse(storage().read('wp.captions') ?? 'null')).toEqual({ on: false, lang: null, label: null });
    });

    it('draws the active cues from the track on cuechange, line breaks kept; nothing without a cue', async () => {
      await render({ source: SOURCE, state: PLAYING, media: WITH_TRACKS });
      await pick('English');
      const [element] = trackElements();
      expect(q('subtitle-cue')).toBeNull();

      textTrackOf(element).activeCues = [{ text: 'Hello from <i>the</i> party\nsecond line' }];
      element.dispatchEvent(new Event('cuechange'));
      await fixture.whenStable();
      const cue = q('subtitle-cue') as HTMLElement;
      expect(cue.textContent).toBe('Hello from the party\nsecond line');
      expect(q('subtitles')?.getAttribute('lang')).toBe('en');
      // Over the picture, before the control bar: never covering the controls.
      expect(q('subtitles')?.closest('.player-stage')).not.toBeNull();

      textTrackOf(element).activeCues = [{ text: 'One' }, { text: 'Two' }];
      element.dispatchEvent(new Event('cuechange'));
      await fixture.whenStable();
      expect([...el().querySelectorAll('[data-testid="subtitle-cue"]')].map((c) => c.textContent)).toEqual(['One', 'Two']);

      textTrackOf(element).activeCues = [];
      element.dispatchEvent(new Event('cuechange'));
      await fixture.whenStable();
      expect(q('subtitles')).toBeNull();
    });

    it('switching tracks drops the cues of the old one', async () => {
      await render({ source: SOURCE, state: PLAYING, media: WITH_TRACKS });
      await pick('English');
      const [english] = trackElements();
      textTrackOf(english).activeCues = [{ text: 'Hello' }];
      english.dispatchEvent(new Event('cuechange'));
      await fixture.whenStable();
      await pick('Français');
      expect(q('subtitle-cue')).toBeNull();
      // A late event of the removed track changes nothing.
      english.dispatchEvent(new Event('cuechange'));
      await fixture.whenStable();
      expect(q('subtitle-cue')).toBeNull();
      expect(trackElements().map((t) => t.label)).toEqual(['Français']);
    });

    it('picks the remembered language again for the next video, and stays off when nothing matches', async () => {
      storage().write('wp.captions', JSON.stringify({ on: true, lang: 'fr', label: 'French' }));
      await render({ source: SOURCE, state: PLAYING, media: WITH_TRACKS });
      expect(trackElements().map((t) => t.label)).toEqual(['Français']);

      const NEXT = 'MediaId_00000002';
      fixture.componentRef.setInput('source', { kind: 'media', mediaId: NEXT });
      fixture.componentRef.setInput('media', mediaItem({ id: NEXT, subtitles: [{ ...EN, url: '/n/en.vtt' }] }));
      await fixture.whenStable();
      expect(trackElements()).toEqual([]);
      expect(q('captions')?.getAttribute('aria-label')).toBe('Subtitles: off');

      const THIRD = 'MediaId_00000003';
      fixture.componentRef.setInput('source', { kind: 'media', mediaId: THIRD });
      fixture.componentRef.setInput('media', mediaItem({ id: THIRD, subtitles: [{ ...FR, label: 'FR (forced)', url: '/t/fr.vtt' }] }));
      await fixture.whenStable();
      expect(trackElements().map((t) => t.getAttribute('src'))).toEqual(['/t/fr.vtt']);
    });

    it('tracks appear when the details list them (extracted while processing), picking the remembered one', async () => {
      storage().write('wp.captions', JSON.stringify({ on: true, lang: 'en', label: 'English' }));
      const processing = mediaItem({ id: ID, status: 'processing', progress: 0.3, subtitles: [] });
      await render({ source: SOURCE, state: PLAYING, media: processing });
      expect(q('captions')).toBeNull();
      fixture.componentRef.setInput('media', { ...processing, progress: 0.4, subtitles: [EN] });
      await fixture.whenStable();
      expect(q('captions')?.getAttribute('aria-label')).toBe('Subtitles: English');
      const [element] = trackElements();
      // A later refresh of the same details keeps the same element (no reload, no flicker).
      fixture.componentRef.setInput('media', { ...processing, progress: 0.5, subtitles: [EN, FR] });
      await fixture.whenStable();
      expect(trackElements()).toEqual([element]);
    });

    it('c toggles subtitles: on with the remembered choice (else the first track), then off', async () => {
      storage().write('wp.captions', JSON.stringify({ on: false, lang: 'fr', label: 'Français' }));
      await render({ source: SOURCE, state: PLAYING, media: WITH_TRACKS });
      expect(trackElements()).toEqual([]);
      key('c');
      await fixture.whenStable();
      expect(trackElements().map((t) => t.label)).toEqual(['Français']);
      key('C');
      await fixture.whenStable();
      expect(trackElements()).toEqual([]);

      storage().remove('wp.captions');
      key('c');
      await fixture.whenStable();
      expect(trackElements().map((t) => t.label)).toEqual(['English']);
      expect(controls).toEqual([]);
    });

    it('c does nothing without tracks (the key is left to the page)', async () => {
      await render({ source: MP4, state: PLAYING });
      const event = new KeyboardEvent('keydown', { key: 'c', bubbles: true, cancelable: true });
      q('player')?.dispatchEvent(event);
      expect(event.defaultPrevented).toBe(false);
    });

    describe('a link with subtitles', () => {
      const LINK: Source = {
        kind: 'url',
        url: 'https://cdn.test/film.mp4',
        subtitles: [{ url: 'https://cdn.test/film.en.srt', label: 'English', lang: 'en' }],
      };
      let blobs: Blob[];
      const answer = (status: number, body: string) =>
        ({ ok: status >= 200 && status < 300, status, text: () => Promise.resolve(body) }) as Response;
      const readBlob = (blob: Blob) =>
        new Promise<string>((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve(String(reader.result));
          reader.readAsText(blob);
        });

      beforeEach(() => {
        blobs = [];
        Object.assign(URL, {
          createObjectURL: jest.fn((blob: Blob) => {
            blobs.push(blob);
            return `blob:test/${blobs.length}`;
          }),
          revokeObjectURL: jest.fn(),
        });
      });

      afterEach(() => {
        fixture.destroy(); // while the blob URL stubs still exist: the player revokes its blob
        Reflect.deleteProperty(URL, 'createObjectURL');
        Reflect.deleteProperty(URL, 'revokeObjectURL');
      });

      it('fetches a track of another origin and hands it to the video as WebVTT', async () => {
        fetchMock.mockResolvedValue(answer(200, '1\n00:00:02,000 --> 00:00:03,500\nHello from the party\n'));
        await render({ source: LINK, state: PLAYING });
        await pick('English');
        expect(fetchMock).toHaveBeenCalledWith('https://cdn.test/film.en.srt', expect.anything());
        await fixture.whenStable();
        expect(trackElements().map((t) => t.getAttribute('src'))).toEqual(['blob:test/1']);
        expect(await readBlob(blobs[0])).toBe('WEBVTT\n\n00:00:02.000 --> 00:00:03.500\nHello from the party\n');

        await pick('Off');
        expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:test/1');
      });

      it("fetches a link's track on this origin too (it may be SubRip), but never a library item's", async () => {
        fetchMock.mockResolvedValue(answer(200, 'WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n'));
        await render({ source: { ...LINK, subtitles: [{ url: '/files/film.srt', label: 'Local' }] }, state: PLAYING });
        await pick('Local');
        await fixture.whenStable();
        expect(fetchMock).toHaveBeenCalledWith('/files/film.srt', expect.anything());
        expect(trackElements().map((t) => t.getAttribute('src'))).toEqual(['blob:test/1']);
      });

      it('says so over the picture when the track cannot be loaded', async () => {
        fetchMock.mockResolvedValue(answer(404, 'nope'));
        await render({ source: LINK, state: PLAYING });
        await pick('English');
        await fixture.whenStable();
        expect(q('subtitle-error')?.textContent).toContain("Couldn't load the subtitles “English”");
        expect(trackElements()).toEqual([]);
        await pick('Off');
        expect(q('subtitle-error')).toBeNull();
      });
    });
  });
});
