import type { Participant } from '@watch-party/contracts';
import { cantPlaySummary, fallbackTitle, hostNotice, sameSource, titleFromUrl } from './party-notices';

const person = (id: string, name: string, error?: string): Participant => ({
  id,
  name,
  role: 'viewer',
  connected: true,
  status: 'error',
  driftMs: null,
  ...(error === undefined ? {} : { error }),
});

describe('party notices', () => {
  it('says who became host, or that you did', () => {
    expect(hostNotice(person('p2', 'Bo'), 'me')).toBe('Bo is now the host');
    expect(hostNotice(person('me', 'Ann'), 'me')).toBe('You are now the host');
  });

  it('sums up who cannot play, with the reason for one and compactly for several', () => {
    expect(cantPlaySummary([])).toBe('');
    expect(cantPlaySummary([person('a', 'Bo', 'Network error (404)')])).toBe("Bo can't play this video: Network error (404)");
    expect(cantPlaySummary([person('a', 'Bo', '  ')])).toBe("Bo can't play this video");
    expect(cantPlaySummary([person('a', 'Bo', "This video can't be played: the link is broken.")])).toBe(
      "Bo can't play this video: the link is broken.",
    );
    expect(cantPlaySummary([person('a', 'Bo', "This video can't be played.")])).toBe("Bo can't play this video");
    expect(cantPlaySummary([person('a', 'Bo'), person('b', 'Cy')])).toBe("Bo and Cy can't play this video");
    expect(cantPlaySummary([person('a', 'Bo'), person('b', 'Cy'), person('c', 'Di')])).toBe("Bo and 2 others can't play this video");
  });

  it('compares sources by what plays, not by their extras', () => {
    const url = { kind: 'url' as const, url: 'https://x.test/a.mp4' };
    expect(sameSource(url, { ...url, subtitles: [{ url: 'https://x.test/a.vtt', label: 'English' }] })).toBe(true);
    expect(sameSource(url, { kind: 'url', url: 'https://x.test/b.mp4' })).toBe(false);
    expect(sameSource({ kind: 'media', mediaId: 'm1' }, { kind: 'media', mediaId: 'm1' })).toBe(true);
    expect(sameSource({ kind: 'media', mediaId: 'm1' }, url)).toBe(false);
    expect(sameSource({ kind: 'live', showId: 's' }, { kind: 'live', showId: 's' })).toBe(true);
    expect(sameSource(null, null)).toBe(true);
    expect(sameSource(url, null)).toBe(false);
  });

  it('names a link by its file, else its host, and never throws', () => {
    expect(titleFromUrl('https://cdn.test/films/My%20trip.mp4?sig=1')).toBe('My trip.mp4');
    expect(titleFromUrl('https://cdn.test/')).toBe('cdn.test');
    expect(titleFromUrl('not a url')).toBe('not a url');
    expect(titleFromUrl('https://cdn.test/%E0%A4%A')).toBe('https://cdn.test/%E0%A4%A');
    expect(fallbackTitle({ kind: 'media', mediaId: 'm' })).toBe('the previous video');
    expect(fallbackTitle({ kind: 'live', showId: 's' })).toBe('the live show');
  });
});
