import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { LiveShow } from '@watch-party/contracts';
import { LiveApiService } from '../../services/live-api.service';
import { LiveListPageComponent, showTimeText } from './live-list-page.component';

const base: LiveShow = {
  id: 'AbCdEfGhIjKlMnOp',
  title: 'On air',
  creatorName: 'Cleo',
  status: 'live',
  startedAt: '2026-01-01T20:00:00.000Z',
  viewerCount: 2,
  hlsUrl: '/api/live/AbCdEfGhIjKlMnOp/hls/index.m3u8',
  sessionId: 'QrStUvWxYz012345',
};

describe('LiveListPageComponent', () => {
  it('shows live shows first with their viewers, then upcoming and ended ones', async () => {
    const shows: LiveShow[] = [
      base,
      { ...base, id: 'BbCdEfGhIjKlMnOp', title: 'Soon', status: 'scheduled', startedAt: null, hlsUrl: null, viewerCount: 0 },
      { ...base, id: 'CbCdEfGhIjKlMnOp', title: 'Over', status: 'ended', hlsUrl: null, viewerCount: 0, recordingMediaId: 'm'.repeat(16) },
    ];
    TestBed.configureTestingModule({
      imports: [LiveListPageComponent],
      providers: [provideRouter([]), { provide: LiveApiService, useValue: { list: async () => shows } }],
    });
    const fixture = TestBed.createComponent(LiveListPageComponent);
    await fixture.whenStable();
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    const live = el.querySelectorAll('[data-testid="live-show"]');
    expect(live).toHaveLength(1);
    expect(live[0].textContent).toContain('On air');
    expect(live[0].getAttribute('href')).toBe('/live/AbCdEfGhIjKlMnOp');
    expect(el.querySelector('[data-testid="live-viewers"]')?.textContent).toBe('2 watching');
    // The card shows a frame of the stream; without one (audio-only) the gradient stays.
    const thumb = el.querySelector<HTMLImageElement>('[data-testid="live-thumb"]');
    expect(thumb?.getAttribute('src')).toMatch(/^\/api\/live\/AbCdEfGhIjKlMnOp\/thumbnail\.jpg\?v=\d+$/);
    thumb?.dispatchEvent(new Event('error'));
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="live-thumb"]')).toBeNull();
    expect(el.textContent).toContain('Starting soon');
    expect(el.textContent).toContain('Recording available');
    fixture.destroy();
  });

  it('says so when nobody is live', async () => {
    TestBed.configureTestingModule({
      imports: [LiveListPageComponent],
      providers: [provideRouter([]), { provide: LiveApiService, useValue: { list: async () => [] } }],
    });
    const fixture = TestBed.createComponent(LiveListPageComponent);
    await fixture.whenStable();
    fixture.detectChanges();
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="no-live"]')).not.toBeNull();
    fixture.destroy();
  });

  it('describes when a show started or ended', () => {
    expect(showTimeText(base)).toMatch(/^Started \d\d:\d\d$/);
    expect(showTimeText({ ...base, status: 'ended', endedAt: '2026-01-01T21:00:00.000Z' })).toMatch(/^Ended \d\d:\d\d$/);
  });
});
