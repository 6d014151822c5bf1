import {
  appendSegments,
  EMPTY_WINDOW,
  endWindow,
  type HlsWindow,
  LIVE_LIST_SIZE,
  type LiveSegment,
  MAX_PLAYLIST_CHARS,
  parseLivePlaylist,
  renderLivePlaylist,
  startOfRun,
} from './hls-window';

const seg = (seq: number, discontinuity = false): LiveSegment => ({
  seq,
  duration: 1,
  pdt: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}.000+0000`,
  discontinuity,
});
const run = (from: number, count: number) => Array.from({ length: count }, (_, i) => seg(from + i));

describe('the live HLS window (RFC 8216)', () => {
  it('lists the last 6 segments; EXT-X-MEDIA-SEQUENCE is the first listed number and grows by what left', () => {
    let w: HlsWindow = EMPTY_WINDOW;
    const removed: number[] = [];
    for (let n = 0; n < 10; n++) {
      const r = appendSegments(w, [seg(n)]);
      w = r.window;
      removed.push(...r.removed);
    }
    expect(w.segments.map((s) => s.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(w.mediaSequence).toBe(4);
    expect(removed).toEqual([0, 1, 2, 3]);
    const text = renderLivePlaylist(w);
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:4\n');
    expect(text).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:0\n');
    expect(text).toContain('#EXT-X-TARGETDURATION:1\n');
    expect(text).toContain('#EXT-X-INDEPENDENT-SEGMENTS\n');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect(text.trim().split('\n').at(-1)).toBe('seg_9.ts');
  });

  it('a reconnect continues the numbers behind EXT-X-DISCONTINUITY; the sequence grows once the tag leaves', () => {
    let w = appendSegments(EMPTY_WINDOW, run(0, 8)).window; // first run: 0..7, listed 2..7
    w = appendSegments(w, startOfRun(run(8, 2), true)).window; // reconnect: 8 is the new run's first
    expect(w.segments.map((s) => s.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(renderLivePlaylist(w)).toContain('seg_7.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:1.000000,');
    expect(w.discontinuitySequence).toBe(0);
    for (let n = 10; n < 14; n++) w = appendSegments(w, [seg(n)]).window;
    expect(w.segments[0].seq).toBe(8); // the tag is still listed on its segment
    expect(w.discontinuitySequence).toBe(0);
    w = appendSegments(w, [seg(14)]).window;
    expect(w.segments[0].seq).toBe(9);
    expect(w.discontinuitySequence).toBe(1);
    expect(renderLivePlaylist(w)).not.toContain('#EXT-X-DISCONTINUITY\n');
  });

  it('never renumbers or repeats: older or listed numbers are ignored', () => {
    let w = appendSegments(EMPTY_WINDOW, run(10, 3)).window;
    w = appendSegments(w, [seg(11), seg(5), seg(12), seg(13)]).window;
    expect(w.segments.map((s) => s.seq)).toEqual([10, 11, 12, 13]);
  });

  it('what it renders it reads back the same (the state lives in the served file, shared by replicas)', () => {
    let w = appendSegments(EMPTY_WINDOW, run(0, 7)).window;
    w = appendSegments(w, startOfRun(run(7, 3), true)).window;
    for (let n = 10; n < 16; n++) w = appendSegments(w, [seg(n)]).window;
    w = appendSegments(w, startOfRun(run(16, 2), true)).window;
    const back = parseLivePlaylist(renderLivePlaylist(w));
    expect(back).toEqual(w);
    const ended = endWindow(back);
    expect(renderLivePlaylist(ended).trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(parseLivePlaylist(renderLivePlaylist(ended)).ended).toBe(true);
  });

  it("reads ffmpeg's own run playlist (segments, durations, PDTs)", () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:17',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXTINF:1.001000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:03.000+0000',
      'seg_17.ts',
      '#EXTINF:0.967000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:04.001+0000',
      'seg_18.ts',
      '#EXT-X-ENDLIST',
    ].join('\n');
    const w = parseLivePlaylist(text);
    expect(w.segments).toEqual([
      { seq: 17, duration: 1.001, pdt: '2026-01-01T00:00:03.000+0000', discontinuity: false },
      { seq: 18, duration: 0.967, pdt: '2026-01-01T00:00:04.001+0000', discontinuity: false },
    ]);
    expect(w.mediaSequence).toBe(17);
  });

  it('garbage in never throws, never lists a segment without a duration, never goes past the size cap', () => {
    let x = 42;
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pieces = ['#EXTINF:', '1.0,', '-3,', 'NaN,', '#EXT-X-MEDIA-SEQUENCE:', '99999999999999999999', '#EXT-X-DISCONTINUITY', 'seg_', '7', '.ts', '\n', '\r\n', '#EXT-X-ENDLIST', '../seg_1.ts', '\u0000', 'seg_1.ts'];
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const n = Math.floor(rnd() * 60);
      for (let k = 0; k < n; k++) text += pieces[Math.floor(rnd() * pieces.length)];
      const w = parseLivePlaylist(text);
      for (const s of w.segments) {
        expect(Number.isSafeInteger(s.seq) && s.seq >= 0).toBe(true);
        expect(s.duration > 0 && Number.isFinite(s.duration)).toBe(true);
      }
      expect(renderLivePlaylist(appendSegments(w, [], LIVE_LIST_SIZE).window)).toMatch(/^#EXTM3U\n/);
    }
    const huge = `${'#EXTINF:1.0,\nseg_1.ts\n'.repeat(10)}${'x'.repeat(MAX_PLAYLIST_CHARS)}#EXTINF:1.0,\nseg_99.ts\n`;
    expect(parseLivePlaylist(huge).segments.map((s) => s.seq)).toEqual([1]);
  });
});
