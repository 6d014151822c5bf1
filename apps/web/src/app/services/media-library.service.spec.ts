import { mediaItem } from '../testing/media';
import { playbackUrl } from './media-library.service';

describe('playbackUrl', () => {
  const HLS = '/api/media/MediaId_00000001/hls/master.m3u8';
  const FILE = '/api/media/MediaId_00000001/file';

  it('nothing while processing before the first segments exist', () => {
    expect(playbackUrl(mediaItem({ status: 'processing', hlsUrl: null, fileUrl: FILE }))).toBeNull();
  });

  it('the partial ladder while processing, then another URL once ready (so the player loads every rung)', () => {
    const early = playbackUrl(mediaItem({ status: 'processing', hlsUrl: HLS, fileUrl: FILE }));
    const ready = playbackUrl(mediaItem({ status: 'ready', hlsUrl: HLS, fileUrl: FILE }));
    expect(early).toBe(`${HLS}?ladder=partial`);
    expect(ready).toBe(HLS);
    expect(playbackUrl(mediaItem({ status: 'processing', hlsUrl: `${HLS}?t=1`, fileUrl: FILE }))).toBe(`${HLS}?t=1&ladder=partial`);
  });

  it('the original file when ready without HLS, or when transcoding failed', () => {
    expect(playbackUrl(mediaItem({ status: 'ready', hlsUrl: null, fileUrl: FILE }))).toBe(FILE);
    expect(playbackUrl(mediaItem({ status: 'failed', hlsUrl: HLS, fileUrl: FILE }))).toBe(FILE);
  });
});
