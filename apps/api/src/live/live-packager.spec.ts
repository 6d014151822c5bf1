import { correctPlaylist, packagerArguments, parsePdt } from './live-packager';

describe('the live packager', () => {
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

  it('packages into 1 s segments with keyframes on the boundaries, a private run playlist and a recording', () => {
    const args = packagerArguments({ dir: '/m/live/abc', input: 'flv', run: 2, startNumber: 17 }).join(' ');
    expect(args).toContain('-f flv -i pipe:0');
    expect(args).toContain('-preset veryfast -tune zerolatency');
    expect(args).toContain('-g 60 -keyint_min 1 -sc_threshold 0 -force_key_frames expr:gte(t,n_forced*1)');
    expect(args).toContain('-map 0:v:0? -map 0:a:0?');
    expect(args).toContain('-fpsmax 60');
    expect(args).toMatch(/hls_time=1:hls_list_size=12/);
    // ffmpeg neither deletes nor appends: the served window (hls-window.ts) does that.
    expect(args).toContain('hls_flags=program_date_time+independent_segments+temp_file:');
    expect(args).not.toMatch(/delete_segments|append_list|discont_start/);
    expect(args).toContain('start_number=17');
    expect(args).toContain('/m/live/abc/run_2.m3u8');
    expect(args).toContain('/m/live/abc/rec_2.ts');
  });
});
