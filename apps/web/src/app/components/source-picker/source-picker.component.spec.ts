import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Source } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { LINK_PROBE, type LinkProber, type ProbeResult } from '../../services/link-probe';
import { MEDIA_POLL_MS } from '../../services/media-library.service';
import { SessionSocketService } from '../../services/session-socket.service';
import { XHR_FACTORY } from '../../services/upload.service';
import { FakeXhr } from '../../testing/fake-xhr';
import { mediaItem } from '../../testing/media';
import { SourcePickerComponent, type SourceSetResult, mediaMeta } from './source-picker.component';

const READY = mediaItem({ id: 'ReadyItem_000001', title: 'Beach day' });
const EARLY = mediaItem({ id: 'EarlyItem_000001', title: 'Concert', status: 'processing', progress: 0.5 });
const WAITING = mediaItem({ id: 'Waiting_00000001', title: 'Long film', status: 'processing', progress: 0.1, hlsUrl: null });
const FAILED = mediaItem({ id: 'FailedItem_00001', title: 'Broken', status: 'failed', hlsUrl: null });

describe('SourcePickerComponent', () => {
  let fixture: ComponentFixture<SourcePickerComponent>;
  let send: jest.Mock<Promise<SourceSetResult>, [Source]>;
  let api: { listMedia: jest.Mock; getMedia: jest.Mock; deleteMedia: jest.Mock };
  let xhrs: FakeXhr[];
  let probe: jest.Mock<ReturnType<LinkProber>, [string]>;
  let socket: { request: jest.Mock; onMediaProgress: () => () => void };
  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);
  const all = (id: string) => [...el().querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
  const settle = async () => {
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  };

  async function submit(url: string) {
    const input = q<HTMLInputElement>('source-url') as HTMLInputElement;
    input.value = url;
    input.dispatchEvent(new Event('input'));
    input.form?.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
  }

  beforeEach(async () => {
    send = jest.fn();
    xhrs = [];
    probe = jest.fn().mockResolvedValue({ ok: true, kind: 'file', title: 'movie.mp4' });
    socket = { request: jest.fn().mockResolvedValue({ ok: true, item: {} }), onMediaProgress: () => () => undefined };
    api = { listMedia: jest.fn().mockResolvedValue([]), getMedia: jest.fn(), deleteMedia: jest.fn() };
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiService, useValue: api },
        { provide: MEDIA_POLL_MS, useValue: 60_000 },
        { provide: LINK_PROBE, useValue: probe },
        { provide: SessionSocketService, useValue: socket },
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
    fixture = TestBed.createComponent(SourcePickerComponent);
    fixture.componentRef.setInput('send', send);
    await fixture.whenStable();
  });

  it('opens on the link tab, without loading the library', () => {
    expect(q('source-tab-link')?.getAttribute('aria-selected')).toBe('true');
    expect(q('source-url')).not.toBeNull();
    expect(api.listMedia).not.toHaveBeenCalled();
  });

  it.each(['ftp://x.org/a.mp4', 'javascript:alert(1)', 'not a url', ''])('refuses %p without calling the server', async (url) => {
    await submit(url);
    expect(send).not.toHaveBeenCalled();
    expect(q('source-error')?.textContent?.length).toBeGreaterThan(0);
  });

  it('probes a valid link, then sends it as a url source and clears the field', async () => {
    send.mockResolvedValue({ ok: true });
    await submit('  https://cdn.example.com/show/master.M3U8  ');
    expect(probe).toHaveBeenCalledWith('https://cdn.example.com/show/master.M3U8');
    expect(send).toHaveBeenCalledWith({ kind: 'url', url: 'https://cdn.example.com/show/master.M3U8' });
    expect(socket.request).not.toHaveBeenCalled();
    expect((q<HTMLInputElement>('source-url') as HTMLInputElement).value).toBe('');
    expect(q('source-error')).toBeNull();
  });

  it('shows the server refusal', async () => {
    send.mockResolvedValue({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    await submit('https://example.com/a.webm');
    expect(q('source-error')?.textContent).toContain('Only the host and controllers');
  });

  it('says "Checking the link…" while probing, then shows the refusal and sends nothing', async () => {
    let finish: (result: ProbeResult) => void = () => undefined;
    probe.mockReturnValue(new Promise<ProbeResult>((resolve) => (finish = resolve)));
    await submit('https://example.com/page');
    expect(q('source-checking')?.textContent).toContain('Checking the link');
    expect(q<HTMLButtonElement>('source-submit')?.disabled).toBe(true);
    finish({ ok: false, reason: 'not-video', message: "This link didn't load as a video: not a video (text/html)" });
    await settle();
    expect(q('source-checking')).toBeNull();
    expect(q('source-error')?.textContent).toContain("didn't load as a video: not a video");
    expect(send).not.toHaveBeenCalled();
    expect(socket.request).not.toHaveBeenCalled();
  });

  it('sends the optional subtitle track with the link', async () => {
    send.mockResolvedValue({ ok: true });
    const sub = q<HTMLInputElement>('subtitle-url') as HTMLInputElement;
    sub.value = 'https://example.com/movie.en.vtt';
    sub.dispatchEvent(new Event('input'));
    const label = q<HTMLInputElement>('subtitle-label') as HTMLInputElement;
    label.value = ' English ';
    label.dispatchEvent(new Event('input'));
    await submit('https://example.com/movie.mp4');
    expect(send).toHaveBeenCalledWith({
      kind: 'url',
      url: 'https://example.com/movie.mp4',
      subtitles: [{ url: 'https://example.com/movie.en.vtt', label: 'English' }],
    });
  });

  it('refuses a bad subtitle link before probing', async () => {
    const sub = q<HTMLInputElement>('subtitle-url') as HTMLInputElement;
    sub.value = 'ftp://example.com/a.vtt';
    sub.dispatchEvent(new Event('input'));
    await submit('https://example.com/movie.mp4');
    expect(q('subtitle-error')?.textContent).toContain('must start with http');
    expect(probe).not.toHaveBeenCalled();
  });

  describe('while something plays', () => {
    beforeEach(async () => {
      fixture.componentRef.setInput('hasSource', true);
      await settle();
    });

    it('offers "Add to queue" (the default) or "Play now"', async () => {
      expect(q('pick-choice')).not.toBeNull();
      expect(q<HTMLInputElement>('choice-queue')?.checked).toBe(true);
      expect(q('source-submit')?.textContent).toContain('Add to queue');
      await submit('https://example.com/movie.mp4');
      expect(socket.request).toHaveBeenCalledWith('queue:add', { source: { kind: 'url', url: 'https://example.com/movie.mp4' }, title: 'movie.mp4' });
      expect(send).not.toHaveBeenCalled();
      expect(q('source-note')?.textContent).toContain('Added “movie.mp4” to the queue');

      send.mockResolvedValue({ ok: true });
      q('choice-play')?.click();
      await settle();
      expect(q('source-submit')?.textContent).toContain('Play this');
      await submit('https://example.com/other.mp4');
      expect(send).toHaveBeenCalledWith({ kind: 'url', url: 'https://example.com/other.mp4' });
    });

    it('explains a full queue and a refusal to queue', async () => {
      socket.request.mockResolvedValueOnce({ ok: false, error: { code: 'BAD_REQUEST', message: 'the queue is full (100 items)' } });
      await submit('https://example.com/movie.mp4');
      expect(q('source-error')?.textContent).toContain('The queue is full (100 items)');
      socket.request.mockResolvedValueOnce({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
      await submit('https://example.com/movie.mp4');
      expect(q('source-error')?.textContent).toContain('Only the host and controllers can add to the queue');
    });

    it('queues a library item by its title', async () => {
      api.listMedia.mockResolvedValue([READY]);
      q('source-tab-library')?.click();
      await settle();
      expect(q('library-pick')?.textContent).toContain('Queue');
      q('library-pick')?.click();
      await settle();
      expect(socket.request).toHaveBeenCalledWith('queue:add', { source: { kind: 'media', mediaId: READY.id }, title: 'Beach day' });
      expect(q('library-note')?.textContent).toContain('Added “Beach day” to the queue');
    });
  });

  describe('in queue-only mode', () => {
    beforeEach(async () => {
      fixture.componentRef.setInput('mode', 'queue');
      await settle();
    });

    it('only adds to the queue, with no choice, even when nothing plays', async () => {
      expect(q('pick-choice')).toBeNull();
      expect(el().querySelector('h2')?.textContent).toContain('Add to the queue');
      await submit('https://example.com/movie.mp4');
      expect(socket.request).toHaveBeenCalledWith('queue:add', expect.objectContaining({ title: 'movie.mp4' }));
      expect(send).not.toHaveBeenCalled();
    });

    it('queues an item that is still transcoding', async () => {
      api.listMedia.mockResolvedValue([WAITING]);
      q('source-tab-library')?.click();
      await settle();
      (q('library-pending') as HTMLButtonElement).click();
      await settle();
      expect(socket.request).toHaveBeenCalledWith('queue:add', { source: { kind: 'media', mediaId: WAITING.id }, title: 'Long film' });
    });

    it('queues a fresh upload', async () => {
      q('source-tab-upload')?.click();
      await settle();
      const input = q<HTMLInputElement>('upload-input') as HTMLInputElement;
      Object.defineProperty(input, 'files', { configurable: true, value: [new File(['x'], 'mine.mp4', { type: 'video/mp4' })] });
      input.dispatchEvent(new Event('change'));
      await settle();
      const uploaded = mediaItem({ id: 'Uploaded_0000002', title: 'mine', status: 'processing', progress: 0, hlsUrl: null });
      xhrs[0].respond(201, uploaded);
      await settle();
      expect(socket.request).toHaveBeenCalledWith('queue:add', { source: { kind: 'media', mediaId: uploaded.id }, title: 'mine' });
      expect(q('upload-source-note')?.textContent).toContain('is in the queue (still being prepared)');
    });
  });

  it('tells two uploads with the same title apart (duration, size, upload time)', async () => {
    const a = mediaItem({ id: 'ClipA_0000000001', title: 'clip', durationSec: 5, sizeBytes: 300_000, createdAt: '2026-11-27T06:10:00.000Z' });
    const b = mediaItem({ id: 'ClipB_0000000001', title: 'clip', durationSec: 6, sizeBytes: 420_000, createdAt: '2026-11-27T07:45:00.000Z' });
    expect(mediaMeta(a)).not.toBe(mediaMeta(b));
    expect(mediaMeta(a)).toMatch(/^0:05 · 293 KB · .*2026, \d\d:\d\d$/);
    api.listMedia.mockResolvedValue([a, b]);
    q('source-tab-library')?.click();
    await settle();
    const metas = all('library-meta').map((m) => m.textContent?.trim());
    expect(metas).toHaveLength(2);
    expect(metas[0]).not.toBe(metas[1]);
  });

  it('arrow keys move between the tabs', async () => {
    q('source-tab-link')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    await settle();
    expect(q('source-tab-library')?.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(q('source-tab-library'));
    q('source-tab-library')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    await settle();
    expect(q('source-tab-upload')?.getAttribute('aria-selected')).toBe('true');
  });

  describe('from the library', () => {
    async function openLibrary() {
      q('source-tab-library')?.click();
      await settle();
    }

    it('lists playable items (ready, or processing with HLS) and sets the picked one', async () => {
      api.listMedia.mockResolvedValue([WAITING, EARLY, READY, FAILED]);
      send.mockResolvedValue({ ok: true });
      await openLibrary();
      const picks = all('library-pick');
      expect(picks.map((p) => p.querySelector('.pick-title')?.textContent)).toEqual(['Concert', 'Beach day']);
      expect(all('library-pending').map((p) => p.textContent)).toEqual([expect.stringContaining('Long film')]);
      picks[1].click();
      await settle();
      expect(send).toHaveBeenCalledWith({ kind: 'media', mediaId: READY.id });
    });

    it('marks the current video', async () => {
      api.listMedia.mockResolvedValue([READY]);
      fixture.componentRef.setInput('current', { kind: 'media', mediaId: READY.id });
      await openLibrary();
      expect(q('library-pick')?.getAttribute('aria-current')).toBe('true');
      expect(q('library-pick')?.textContent).toContain('Playing');
    });

    it('has an empty state', async () => {
      await openLibrary();
      expect(q('library-empty')?.textContent).toContain('The library is empty');
    });

    it('explains NOT_FOUND and reloads the list', async () => {
      api.listMedia.mockResolvedValueOnce([READY]).mockResolvedValueOnce([]);
      send.mockResolvedValue({ ok: false, error: { code: 'NOT_FOUND', message: 'no such media item' } });
      await openLibrary();
      q('library-pick')?.click();
      await settle();
      expect(q('library-error')?.textContent).toContain('no longer in the library');
      expect(api.listMedia).toHaveBeenCalledTimes(2);
    });
  });

  it('sets an upload as the source as soon as it is stored', async () => {
    send.mockResolvedValue({ ok: true });
    q('source-tab-upload')?.click();
    await settle();
    const input = q<HTMLInputElement>('upload-input') as HTMLInputElement;
    Object.defineProperty(input, 'files', { configurable: true, value: [new File(['x'], 'mine.mp4', { type: 'video/mp4' })] });
    input.dispatchEvent(new Event('change'));
    await settle();
    const uploaded = mediaItem({ id: 'Uploaded_0000001', title: 'mine', status: 'processing', progress: 0, hlsUrl: null });
    xhrs[0].respond(201, uploaded);
    await settle();
    expect(send).toHaveBeenCalledWith({ kind: 'media', mediaId: uploaded.id });
    expect(q('upload-source-note')?.textContent).toContain('as soon as the first seconds are ready');
  });
});
