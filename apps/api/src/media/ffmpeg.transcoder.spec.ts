import { textSubtitles } from './ffmpeg.transcoder';

describe('ffprobe subtitle streams', () => {
  it('keeps text subtitle streams (subrip, ass, mov_text, webvtt) with their tags and leaves picture ones (DVD, PGS, DVB) out', () => {
    const streams = [
      { index: 0, codec_type: 'video', codec_name: 'h264' },
      { index: 1, codec_type: 'audio', codec_name: 'aac', tags: { language: 'eng' } },
      { index: 2, codec_type: 'subtitle', codec_name: 'subrip', tags: { language: 'fre', title: ' Français ' } },
      { index: 3, codec_type: 'subtitle', codec_name: 'dvd_subtitle', tags: { language: 'eng' } },
      { index: 4, codec_type: 'subtitle', codec_name: 'ass', tags: { language: 'und' } },
      { index: 5, codec_type: 'subtitle', codec_name: 'hdmv_pgs_subtitle' },
      { index: 6, codec_type: 'subtitle', codec_name: 'mov_text', tags: { language: 'not a tag!', title: '' } },
      { index: 7, codec_type: 'subtitle', codec_name: 'dvb_subtitle' },
      { index: 8, codec_type: 'subtitle', codec_name: 'webvtt', tags: { language: 'pt-BR' } },
    ];
    expect(textSubtitles(streams)).toEqual([
      { index: 2, codec: 'subrip', language: 'fre', title: 'Français' },
      { index: 4, codec: 'ass', language: null, title: null },
      { index: 6, codec: 'mov_text', language: null, title: null },
      { index: 8, codec: 'webvtt', language: 'pt-BR', title: null },
    ]);
  });
});
