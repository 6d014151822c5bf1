import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Source } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { MEDIA_POLL_MS } from '../../services/media-library.service';
import { XHR_FACTORY } from '../../services/upload.service';
import { FakeXhr } from '../../testing/fake-xhr';
import { mediaItem } from '../../testing/media';
import { SourcePickerComponent, type SourceSetResult } from './source-picker.component';

const READY = mediaItem({ id: 'ReadyItem_000001', title: 'Beach day' });
const EARLY = mediaItem({ id: 'EarlyItem_000001', title: 'Concert', status: 'processing', progress: 0.5 });
const WAITING = mediaItem({ id: 'Waiting_00000001', title: 'Long film', status: 'processing', progress: 0.1, hlsUrl: null });
const FAILED = mediaItem({ id: 'FailedItem_00001', title: 'Broken', status: 'failed', hlsUrl: null });

describe('SourcePickerComponent', () => {
  let fixture: ComponentFixture<SourcePickerComponent>;
  let send: jest.Mock<Promise<SourceSetResult>, [Source]>;
  let api: { listMedia: jest.Mock; getMedia: jest.Mock; deleteMedia: jest.Mock };
  let xhrs: FakeXhr[];
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
    api = { listMedia: jest.fn().mockResolvedValue([]), getMedia: jest.fn(), deleteMedia: jest.fn() };
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiService, useValue: api },
        { provide: MEDIA_POLL_MS, useValue: 60_000 },
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

  it('sends a valid link as a url source and clears the field', async () => {
    send.mockResolvedValue({ ok: true });
    await submit('  https://cdn.example.com/show/master.M3U8  ');
    expect(send).toHaveBeenCalledWith({ kind: 'url', url: 'https://cdn.example.com/show/master.M3U8' });
    expect((q<HTMLInputElement>('source-url') as HTMLInputElement).value).toBe('');
    expect(q('source-error')).toBeNull();
  });

  it('shows the server refusal', async () => {
    send.mockResolvedValue({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    await submit('https://example.com/a.webm');
    expect(q('source-error')?.textContent).toContain('Only the host and controllers');
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
