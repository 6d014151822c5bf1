import fc from 'fast-check';
import { SubtitleFormatError } from '@watch-party/contracts';
import type { Source } from '@watch-party/contracts';
import { mediaItem } from '../../testing/media';
import {
  CAPTIONS_OFF,
  type CaptionTrack,
  activeCueTexts,
  captionTracksOf,
  cuePlainText,
  isCrossOrigin,
  parsePreference,
  preferenceFor,
  preferredTrack,
  toWebVtt,
} from './subtitle-tracks';

const track = (label: string, lang: string | null, url = `/t/${label}.vtt`): CaptionTrack => ({ key: url, url, label, lang, fetched: false });

describe('subtitle tracks', () => {
  describe('captionTracksOf', () => {
    const media = mediaItem({
      subtitles: [
        { id: 'a', label: 'English', lang: 'en', url: '/api/media/MediaId_00000001/subtitles/a.vtt' },
        { id: 'b', label: 'Subtitles 2', lang: null, url: '/api/media/MediaId_00000001/subtitles/b.vtt' },
      ],
    });

    it("lists a library item's tracks once its details are known, and only for that item", () => {
      const source: Source = { kind: 'media', mediaId: media.id };
      expect(captionTracksOf(source, media).map((t) => [t.label, t.lang, t.fetched])).toEqual([
        ['English', 'en', false],
        ['Subtitles 2', null, false],
      ]);
      expect(captionTracksOf(source, null)).toEqual([]);
      expect(captionTracksOf({ kind: 'media', mediaId: 'OtherItem_000001' }, media)).toEqual([]);
    });

    it("lists a link's tracks (lang optional), without duplicates; none for live or no source", () => {
      const source: Source = {
        kind: 'url',
        url: 'https://cdn.test/film.mp4',
        subtitles: [
          { url: 'https://cdn.test/fr.vtt', label: 'Français', lang: 'fr' },
          { url: 'https://cdn.test/fr.vtt', label: 'Again', lang: 'fr' },
          { url: 'https://cdn.test/x.srt', label: 'Other' },
        ],
      };
      expect(captionTracksOf(source, null)).toEqual([
        { key: 'https://cdn.test/fr.vtt', url: 'https://cdn.test/fr.vtt', label: 'Français', lang: 'fr', fetched: true },
        { key: 'https://cdn.test/x.srt', url: 'https://cdn.test/x.srt', label: 'Other', lang: null, fetched: true },
      ]);
      expect(captionTracksOf({ kind: 'url', url: 'https://cdn.test/a.mp4' }, null)).toEqual([]);
      expect(captionTracksOf({ kind: 'live', showId: 'ShowId_000000001' }, media)).toEqual([]);
      expect(captionTracksOf(null, media)).toEqual([]);
    });
  });

  describe('the remembered choice', () => {
    const tracks = [track('Deutsch', 'de'), track('English SDH', 'en'), track('English', 'en'), track('Português', 'pt-BR'), track('Director', null)];

    it('prefers same language and label, then language, then primary language, then label', () => {
      expect(preferredTrack(tracks, { on: true, lang: 'en', label: 'English' })?.label).toBe('English');
      expect(preferredTrack(tracks, { on: true, lang: 'EN', label: 'Other' })?.label).toBe('English SDH');
      expect(preferredTrack(tracks, { on: true, lang: 'pt', label: null })?.label).toBe('Português');
      expect(preferredTrack(tracks, { on: true, lang: 'pt-PT', label: null })?.label).toBe('Português');
      expect(preferredTrack(tracks, { on: true, lang: null, label: 'director' })?.label).toBe('Director');
    });

    it('picks nothing when captions are off or nothing matches', () => {
      expect(preferredTrack(tracks, { on: false, lang: 'en', label: 'English' })).toBeNull();
      expect(preferredTrack(tracks, { on: true, lang: 'ja', label: 'Japanese' })).toBeNull();
      expect(preferredTrack([], { on: true, lang: 'en', label: null })).toBeNull();
    });

    it('reads back what it wrote, and treats anything broken as off', () => {
      const english = track('English', 'en');
      expect(parsePreference(JSON.stringify(preferenceFor(english)))).toEqual({ on: true, lang: 'en', label: 'English' });
      expect(parsePreference(JSON.stringify(preferenceFor(null)))).toEqual(CAPTIONS_OFF);
      for (const raw of [null, '', 'not json', '42', 'null', '{"on":"yes"}']) {
        expect(parsePreference(raw).on).toBe(false);
      }
      expect(parsePreference('{"on":true,"lang":7,"label":"' + 'x'.repeat(100) + '"}')).toEqual({ on: true, lang: null, label: null });
    });
  });

  describe('cue text', () => {
    it('drops WebVTT tags, decodes entities and keeps line breaks', () => {
      expect(cuePlainText('<v Ann>Hello <i>there</i></v>\nsecond &amp; last &lt;3')).toBe('Hello there\nsecond & last <3');
      expect(cuePlainText('<00:00:01.000>a&#233;&#x20AC;&nbsp;b &bogus;')).toBe('aé€\u00a0b &bogus;');
    });

    it('lists the texts of the active cues, leaving out empty ones', () => {
      const cues = [{ text: 'One' }, { text: '<b></b>' }, { text: 'Two\nlines' }] as unknown as TextTrackCue[];
      expect(activeCueTexts(cues)).toEqual(['One', 'Two\nlines']);
      expect(activeCueTexts(null)).toEqual([]);
      expect(activeCueTexts(undefined)).toEqual([]);
    });
  });

  describe('toWebVtt', () => {
    it('keeps WebVTT as it is (but for a BOM, CRLF and a final line end)', () => {
      expect(toWebVtt('\uFEFFWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nHi')).toBe('WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n');
    });

    it('converts SubRip: header, dot decimals, indexes dropped, text escaped for WebVTT', () => {
      const srt = '1\n00:00:02,000 --> 00:00:03,500\nHello from the party\n\n2\n00:00:05,000 --> 00:00:06,000\nFish & chips\n';
      expect(toWebVtt(srt)).toBe(
        'WEBVTT\n\n00:00:02.000 --> 00:00:03.500\nHello from the party\n\n00:00:05.000 --> 00:00:06.000\nFish &amp; chips\n',
      );
    });

    it('hands a sloppy WebVTT file to the browser as it is, and refuses text without any cue', () => {
      expect(toWebVtt('WEBVTT\n\n00:01,000 --> 00:02.000\nHi')).toBe('WEBVTT\n\n00:01,000 --> 00:02.000\nHi');
      expect(() => toWebVtt('<html>not subtitles</html>')).toThrow(SubtitleFormatError);
    });

    it('never throws anything but SubtitleFormatError, whatever a link serves (fuzzed)', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.array(fc.constantFrom('1', '\n', '\r\n', 'WEBVTT', '00:00:01,000', ' --> ', '00:02.000', '<b>', '&', ' ', 'x'), { maxLength: 40 }).map((p) => p.join(''))), (text) => {
          try {
            expect(toWebVtt(text).startsWith('WEBVTT')).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(SubtitleFormatError);
          }
        }),
        { numRuns: 2000 },
      );
    });
  });

  it('tells cross-origin URLs from same-origin ones', () => {
    const base = 'http://127.0.0.1:3000/watch/abc';
    expect(isCrossOrigin('/api/media/x/subtitles/a.vtt', base)).toBe(false);
    expect(isCrossOrigin('http://127.0.0.1:3000/a.vtt', base)).toBe(false);
    expect(isCrossOrigin('http://127.0.0.1:4000/a.vtt', base)).toBe(true);
    expect(isCrossOrigin('https://cdn.test/a.vtt', base)).toBe(true);
  });
});
