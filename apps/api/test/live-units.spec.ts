import { decodeAmf0, encodeAmf0 } from '../src/live/amf0';
import { BitrateMeter } from '../src/live/bitrate-meter';
import { correctPlaylist, packagerArguments, parsePdt } from '../src/live/live-packager';

describe('live building blocks', () => {
  it('round-trips AMF0 commands and refuses truncated or hostile input', () => {
    const buf = encodeAmf0('connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', nested: { n: null, u: undefined, b: true } }, [1, 'x']);
    expect(decodeAmf0(buf)).toEqual(['connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', nested: { n: null, u: undefined, b: true } }, [1, 'x']]);
    expect(() => decodeAmf0(buf.subarray(0, buf.length - 3))).toThrow(/truncated/);
    expect(() => decodeAmf0(Buffer.from([0x0d]))).toThrow(/unsupported/);
    const deep = Buffer.concat([...Array.from({ length: 40 }, () => Buffer.from([0x03, 0, 1, 0x61])), Buffer.from([0x05])]);
    expect(() => decodeAmf0(deep)).toThrow(/deep|truncated/);
  });

  it('caps the bitrate averaged over the window', () => {
    let now = 0;
    const meter = new BitrateMeter(8_000_000, 5000, () => now);
    // 6 Mbit/s for 10 s: always fine.
    for (let t = 0; t < 10_000; t += 100) {
      now = t;
      expect(meter.add(75_000)).toBe(true);
    }
    // A burst of 6 MB within a second: over 8 Mbit/s averaged over 5 s.
    const burst = new BitrateMeter(8_000_000, 5000, () => now);
    const results = Array.from({ length: 6 }, () => burst.add(1_000_000));
    expect(results.slice(0, 5).every(Boolean)).toBe(true);
    expect(results[5]).toBe(false);
  });

  it("shifts each run's PROGRAM-DATE-TIME by its offset", () => {
    const playlist = [
      '#EXTM3U',
      '#EXT-X-MEDIA-SEQUENCE:3',
      '#EXTINF:1.000000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:03.000+0000',
      'seg_3.ts',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:1.000000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:10.000+0000',
      'seg_4.ts',
    ].join('\n');
    const out = correctPlaylist(playlist, [
      { fromSeq: 0, offsetMs: -400 },
      { fromSeq: 4, offsetMs: -250 },
    ]);
    expect(out).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.600Z\nseg_3.ts');
    expect(out).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:09.750Z\nseg_4.ts');
    expect(correctPlaylist(playlist, [])).toBe(playlist);
    expect(parsePdt('2026-01-01T00:00:03.500+0100')).toBe(Date.parse('2026-01-01T00:00:03.500+01:00'));
  });

  it('packages into 1 s segments with keyframes on the boundaries, a sliding window and a recording', () => {
    const args = packagerArguments({ dir: '/m/live/abc', input: 'flv', run: 2, startNumber: 17 }).join(' ');
    expect(args).toContain('-f flv -i pipe:0');
    expect(args).toContain('-preset veryfast -tune zerolatency');
    expect(args).toContain('-g 30 -keyint_min 30 -sc_threshold 0');
    expect(args).toMatch(/hls_time=1:hls_list_size=6/);
    expect(args).toContain('hls_flags=program_date_time+delete_segments+independent_segments+omit_endlist+append_list+temp_file+discont_start');
    expect(args).toContain('start_number=17');
    expect(args).toContain('/m/live/abc/rec_2.ts');
  });
});
