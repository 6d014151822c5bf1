import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { JoinedSession, Media } from '@watch-party/contracts';
import { ApiRequestError, ApiService, networkError } from '../../services/api.service';
import { LAST_NAME_KEY } from '../../services/identity-store.service';
import { MEDIA_POLL_MS } from '../../services/media-library.service';
import { XHR_FACTORY } from '../../services/upload.service';
import { FakeXhr } from '../../testing/fake-xhr';
import { mediaItem } from '../../testing/media';
import { LibraryPageComponent, mediaMeta, statusLabel } from './library-page.component';

const READY = mediaItem({ id: 'ReadyItem_000001', title: 'Beach day' });
const PROCESSING = mediaItem({
  id: 'Processing_00001',
  title: 'Concert',
  status: 'processing',
  progress: 0.42,
  hlsUrl: null,
  posterUrl: null,
});
const FAILED = mediaItem({
  id: 'FailedItem_00001',
  title: 'Broken',
  status: 'failed',
  progress: 0.3,
  error: 'transcoding failed; the original file is still available',
  hlsUrl: null,
});

const JOINED: JoinedSession = {
  session: {
    id: 'NewParty_0000001',
    name: 'Beach day',
    hasPassword: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    controlPolicy: 'host',
    participantCount: 1,
    source: { kind: 'media', mediaId: READY.id },
    waitForBuffering: false,
  },
  participantId: 'Participant_0001',
  token: 'tok',
};

describe('mediaMeta / statusLabel', () => {
  it('formats duration, size and date; labels the status', () => {
    expect(mediaMeta(READY)).toMatch(/^3:12 · 24\.5 MB · /);
    expect(mediaMeta({ ...READY, durationSec: null })).toMatch(/^24\.5 MB · /);
    expect(statusLabel(PROCESSING)).toBe('Processing 42%');
    expect(statusLabel(READY)).toBe('Ready');
    expect(statusLabel(FAILED)).toBe('Failed');
  });
});

describe('LibraryPageComponent', () => {
  let fixture: ComponentFixture<LibraryPageComponent>;
  let api: {
    listMedia: jest.Mock;
    getMedia: jest.Mock;
    deleteMedia: jest.Mock;
    health: jest.Mock;
    createSession: jest.Mock;
  };
  let xhrs: FakeXhr[];
  let navigate: jest.SpyInstance;

  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(selector: string) => el().querySelector<T>(selector);
  const all = (selector: string) => [...el().querySelectorAll<HTMLElement>(selector)];
  const tid = (id: string) => `[data-testid="${id}"]`;
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  };
  const until = async (check: () => boolean, ms = 1000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('condition not met');
      await settle();
    }
  };
  const item = (id: string) => q(`[data-media-id="${id}"]`) as HTMLElement;

  async function open(): Promise<void> {
    fixture = TestBed.createComponent(LibraryPageComponent);
    await settle();
  }

  beforeEach(() => {
    localStorage.clear();
    xhrs = [];
    api = {
      listMedia: jest.fn().mockResolvedValue([]),
      getMedia: jest.fn(),
      deleteMedia: jest.fn().mockResolvedValue(undefined),
      health: jest.fn().mockResolvedValue({ status: 'ok', transcoding: 'available' }),
      createSession: jest.fn().mockResolvedValue(JOINED),
    };
    TestBed.configureTestingModule({
      imports: [LibraryPageComponent],
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: api },
        { provide: MEDIA_POLL_MS, useValue: 5 },
        {
          provide: XHR_FACTORY,
          useValue: () => {
            const xhr = new FakeXhr();
            xhrs.push(xhr);
            return xhr.asXhr();
          },
        },
      ],
    });
    navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
  });

  it('shows skeletons while loading, then the empty state', async () => {
    let answer: (items: Media[]) => void = () => undefined;
    api.listMedia.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    await open();
    expect(q('.library-list')?.getAttribute('aria-busy')).toBe('true');
    expect(all('.skeleton').length).toBeGreaterThan(0);
    answer([]);
    await settle();
    expect(q(tid('library-empty'))?.textContent).toContain('No videos yet');
    expect(all('.skeleton')).toHaveLength(0);
    expect(q(tid('transcoding-unavailable'))).toBeNull();
  });

  it('says so when the server cannot transcode', async () => {
    api.health.mockResolvedValue({ status: 'ok', transcoding: 'unavailable' });
    await open();
    expect(q(tid('transcoding-unavailable'))?.textContent).toContain('Transcoding is unavailable');
  });

  it('shows a load error with a retry', async () => {
    api.listMedia.mockRejectedValueOnce(networkError()).mockResolvedValueOnce([READY]);
    await open();
    expect(q(tid('library-error'))?.textContent).toContain("Couldn't reach the server");
    q(tid('library-retry'))?.click();
    await settle();
    expect(all(tid('media-item'))).toHaveLength(1);
  });

  it('lists items with poster, meta and a status chip per state', async () => {
    api.listMedia.mockResolvedValue([PROCESSING, READY, FAILED]);
    api.getMedia.mockResolvedValue(PROCESSING); // still processing
    await open();
    expect(all(tid('media-title')).map((e) => e.textContent?.trim())).toEqual(['Concert', 'Beach day', 'Broken']);
    expect(q(tid('media-count'))?.textContent?.trim()).toBe('3');

    const processing = item(PROCESSING.id);
    expect(processing.querySelector(tid('media-status'))?.textContent?.trim()).toBe('Processing 42%');
    expect(processing.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('42');
    expect(processing.querySelector('img')).toBeNull(); // no poster yet: placeholder

    const ready = item(READY.id);
    expect(ready.querySelector(tid('media-status'))?.textContent?.trim()).toBe('Ready');
    expect(ready.querySelector('img')?.getAttribute('src')).toBe(READY.posterUrl);
    expect(ready.textContent).toContain('3:12');
    expect(ready.textContent).toContain('24.5 MB');

    const failed = item(FAILED.id);
    expect(failed.querySelector(tid('media-status'))?.textContent?.trim()).toBe('Failed');
    expect(failed.querySelector(tid('media-error'))?.textContent).toContain('transcoding failed');
  });

  it('polls processing items until they are ready, then stops', async () => {
    api.listMedia.mockResolvedValue([PROCESSING, READY]);
    api.getMedia
      .mockResolvedValueOnce({ ...PROCESSING, progress: 0.8, hlsUrl: '/x.m3u8' })
      .mockResolvedValue({ ...PROCESSING, status: 'ready', progress: 1, hlsUrl: '/x.m3u8', posterUrl: '/p.jpg' });
    await open();
    await until(() => item(PROCESSING.id).querySelector(tid('media-status'))?.textContent?.trim() === 'Ready');
    expect(api.getMedia).toHaveBeenCalledWith(PROCESSING.id);
    expect(api.getMedia).not.toHaveBeenCalledWith(READY.id);
    const calls = api.getMedia.mock.calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(api.getMedia.mock.calls.length).toBe(calls);
  });

  it('deletes after a confirmation, and "Keep" cancels', async () => {
    api.listMedia.mockResolvedValue([READY]);
    await open();
    (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
    await settle();
    expect(q(tid('confirm-delete'))).not.toBeNull();
    expect(document.activeElement?.id).toBe(`keep-${READY.id}`);
    (document.activeElement as HTMLElement).click();
    await settle();
    expect(q(tid('confirm-delete'))).toBeNull();
    expect(api.deleteMedia).not.toHaveBeenCalled();

    (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
    await settle();
    q(tid('confirm-delete'))?.click();
    await settle();
    expect(api.deleteMedia).toHaveBeenCalledWith(READY.id);
    expect(all(tid('media-item'))).toHaveLength(0);
    expect(q(tid('library-empty'))).not.toBeNull();
  });

  it('keeps the item and explains when the delete fails', async () => {
    api.listMedia.mockResolvedValue([READY]);
    api.deleteMedia.mockRejectedValue(networkError());
    await open();
    (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
    await settle();
    q(tid('confirm-delete'))?.click();
    await settle();
    expect(q(tid('delete-error'))?.textContent).toContain('server unreachable');
    expect(all(tid('media-item'))).toHaveLength(1);
  });

  it('"Watch together" with a remembered name creates the party with that video and opens it', async () => {
    localStorage.setItem(LAST_NAME_KEY, 'Ann');
    api.listMedia.mockResolvedValue([READY]);
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(api.createSession).toHaveBeenCalledWith({
      hostName: 'Ann',
      name: 'Beach day',
      source: { kind: 'media', mediaId: READY.id },
    });
    expect(navigate).toHaveBeenCalledWith(['/watch', JOINED.session.id]);
    expect(JSON.parse(localStorage.getItem(`wp.identity.${JOINED.session.id}`) ?? '{}')).toMatchObject({ token: 'tok', name: 'Ann' });
  });

  it('"Watch together" asks for a name inline first, and remembers it', async () => {
    api.listMedia.mockResolvedValue([READY]);
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(api.createSession).not.toHaveBeenCalled();
    const input = q<HTMLInputElement>(tid('host-name')) as HTMLInputElement;
    expect(document.activeElement).toBe(input);

    q(tid('start-party'))?.click();
    await settle();
    expect(q('[role="alert"]')?.textContent).toContain('Please enter your name');
    expect(input.getAttribute('aria-invalid')).toBe('true');

    input.value = '  Bo ';
    input.dispatchEvent(new Event('input'));
    q(tid('start-party'))?.click();
    await settle();
    expect(api.createSession).toHaveBeenCalledWith(expect.objectContaining({ hostName: 'Bo' }));
    expect(localStorage.getItem(LAST_NAME_KEY)).toBe('Bo');
    expect(navigate).toHaveBeenCalledWith(['/watch', JOINED.session.id]);
  });

  it('shows why a party could not be started', async () => {
    localStorage.setItem(LAST_NAME_KEY, 'Ann');
    api.listMedia.mockResolvedValue([READY]);
    api.createSession.mockRejectedValue(new ApiRequestError(429, 'slow down', 'Too Many Requests'));
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(q(tid('start-error'))?.textContent).toContain('Too many parties');
    expect(navigate).not.toHaveBeenCalled();
  });

  describe('upload', () => {
    function choose(file: File): void {
      const input = q<HTMLInputElement>(tid('upload-input')) as HTMLInputElement;
      Object.defineProperty(input, 'files', { configurable: true, value: [file] });
      input.dispatchEvent(new Event('change'));
    }
    const clip = () => new File([new Uint8Array(2048)], 'party.mp4', { type: 'video/mp4' });

    it('shows progress, then the new item as processing', async () => {
      await open();
      choose(clip());
      await settle();
      expect(q(tid('upload-progress'))?.textContent).toContain('party.mp4');
      xhrs[0].progress(1024, 2048);
      await settle();
      expect(q(tid('upload-percent'))?.textContent).toContain('50%');
      expect(q('[aria-label="Upload progress"]')?.getAttribute('aria-valuenow')).toBe('50');

      const uploaded = mediaItem({ id: 'Uploaded_0000001', title: 'party', status: 'processing', progress: 0, hlsUrl: null });
      api.getMedia.mockResolvedValue(uploaded);
      xhrs[0].respond(201, uploaded);
      await settle();
      expect(q(tid('upload-progress'))).toBeNull();
      expect(q(tid('upload-done'))?.textContent).toContain('“party” uploaded.');
      expect(item(uploaded.id).querySelector(tid('media-status'))?.textContent?.trim()).toBe('Processing 0%');
    });

    it('cancel aborts the upload', async () => {
      await open();
      choose(clip());
      await settle();
      q(tid('upload-cancel'))?.click();
      await settle();
      expect(xhrs[0].aborted).toBe(true);
      expect(q(tid('upload-progress'))).toBeNull();
      expect(q(tid('upload-error'))).toBeNull();
      expect(q(tid('upload-done'))?.textContent).toContain('Upload cancelled');
    });

    it.each([
      [413, 'larger than the limit'],
      [415, 'not a video we can play'],
    ])('explains a %i', async (status, text) => {
      await open();
      choose(clip());
      await settle();
      xhrs[0].respond(status, { statusCode: status, error: 'x', message: 'refused' });
      await settle();
      expect(q(tid('upload-error'))?.textContent).toContain(text);
    });

    it('explains a network error', async () => {
      await open();
      choose(clip());
      await settle();
      xhrs[0].fail();
      await settle();
      expect(q(tid('upload-error'))?.textContent).toContain('connection to the server was lost');
    });

    it('refuses an obvious non-video without uploading it', async () => {
      await open();
      choose(new File(['x'], 'photo.jpg', { type: 'image/jpeg' }));
      await settle();
      expect(xhrs).toHaveLength(0);
      expect(q(tid('upload-error'))?.textContent).toContain('not a video we can play');
    });
  });
});
