import type { Media, UploadedMedia } from '@watch-party/contracts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { api, type ApiInstance, startApi } from './api-instance';
import { makeClip } from './clips';

async function upload(base: string, file: string): Promise<UploadedMedia> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as UploadedMedia;
}

/** `#EXT-X-STREAM-INF` attributes (quoted values unquoted) and URI, in order. */
function streamInfs(master: string): { attrs: Record<string, string>; uri: string }[] {
  const lines = master.split('\n');
  const out: { attrs: Record<string, string>; uri: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const attrs: Record<string, string> = {};
    for (const m of line.slice('#EXT-X-STREAM-INF:'.length).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) attrs[m[1]] = m[2].replace(/^"|"$/g, '');
    out.push({ attrs, uri: lines[i + 1] });
  });
  return out;
}

const text = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
};
const bytes = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

describe('media: the served HLS master playlist (real ffmpeg)', () => {
  let srv: ApiInstance;
  let mediaDir: string;
  let clip: string;
  let work: string;

  beforeAll(async () => {
    clip = makeClip({ width: 854, height: 480, seconds: 12, fps: 24 });
    work = mkdtempSync(join(tmpdir(), 'wp-master-'));
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-media-master-'));
    srv = await startApi({ MEDIA_DIR: mediaDir });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('says INDEPENDENT-SEGMENTS, BANDWIDTH / AVERAGE-BANDWIDTH measured from the segments (audio counted), RESOLUTION, CODECS, FRAME-RATE and the one audio group; renditions[] agrees', async () => {
    const item = await upload(srv.url, clip);
    // While encoding: a master is served as soon as it is playable, and it already agrees with renditions[].
    let early: { media: Media; master: string } | null = null;
    let ready: Media | null = null;
    const deadline = Date.now() + 90_000;
    while (!ready) {
      if (Date.now() > deadline) throw new Error('the transcode did not finish in 90 s');
      const m = (await api<Media>(srv.url, `/api/media/${item.id}`)).body;
      if (m.status === 'failed') throw new Error(`transcode failed: ${m.error}`);
      if (m.status === 'ready') ready = m;
      else if (m.hlsUrl && !early) early = { media: m, master: await text(srv.url + m.hlsUrl) };
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (early) {
      expect(early.master).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
      const infs = streamInfs(early.master);
      // While encoding: the lowest rung only (the others are behind it), at the bit rate renditions[] says.
      expect(infs.map((v) => v.uri)).toEqual(['v0/index.m3u8']);
      expect(infs.map((v) => Number(v.attrs['BANDWIDTH']))).toEqual(early.media.renditions.slice(0, 1).map((r) => r.bandwidth));
      expect(early.master).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"');
      for (const v of infs) expect(v.attrs).toMatchObject({ 'AVERAGE-BANDWIDTH': expect.any(String), 'FRAME-RATE': '24.000' });
    } else {
      console.warn('the transcode finished before a poll saw it playable: the early master was not checked');
    }

    const master = await text(`${srv.url}${ready.hlsUrl}`);
    expect(master.split('\n').slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']);
    const variants = streamInfs(master);
    expect(variants.map((v) => v.uri)).toEqual(['v0/index.m3u8', 'v1/index.m3u8']);
    expect(variants.map((v) => v.attrs['RESOLUTION'])).toEqual(['640x360', '854x480']);
    // The audio, encoded once, is one rendition every variant refers to.
    expect(master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:'))).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="v2/index.m3u8"',
    ]);
    const audioBase = `${srv.url}/api/media/${item.id}/hls/v2/`;
    const audioPlaylist = await text(audioBase + 'index.m3u8');
    expect(audioPlaylist).toContain('#EXT-X-ENDLIST');
    let audioBytes = 0;
    let audioSec = 0;
    for (const m of audioPlaylist.matchAll(/#EXTINF:([\d.]+),\n(seg_\d+\.m4s)/g)) {
      audioBytes += (await bytes(audioBase + m[2])).length;
      audioSec += Number(m[1]);
    }
    const audioAverage = Math.ceil((audioBytes * 8) / audioSec);
    for (const v of variants) {
      expect(Object.keys(v.attrs).sort()).toEqual(['AUDIO', 'AVERAGE-BANDWIDTH', 'BANDWIDTH', 'CODECS', 'FRAME-RATE', 'RESOLUTION']);
      expect(v.attrs['AUDIO']).toBe('audio');
      expect(v.attrs['CODECS']).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      expect(v.attrs['FRAME-RATE']).toBe('24.000');
    }
    // The API reports exactly the BANDWIDTH the master says.
    expect(ready.renditions).toEqual([
      { height: 360, bandwidth: Number(variants[0].attrs['BANDWIDTH']) },
      { height: 480, bandwidth: Number(variants[1].attrs['BANDWIDTH']) },
    ]);

    const toProbe: string[] = [];
    for (const [i, v] of variants.entries()) {
      const base = `${srv.url}/api/media/${item.id}/hls/v${i}/`;
      const playlist = await text(base + 'index.m3u8');
      expect(playlist).toContain('#EXT-X-ENDLIST');
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] ?? '';
      const initBytes = await bytes(base + init);
      const segments = [...playlist.matchAll(/#EXTINF:([\d.]+),\n(seg_\d+\.m4s)/g)].map((m) => ({ duration: Number(m[1]), uri: m[2] }));
      expect(segments.length).toBeGreaterThanOrEqual(6);
      let totalBytes = 0;
      let totalSec = 0;
      let fullPeak = 0;
      for (const [n, s] of segments.entries()) {
        const data = await bytes(base + s.uri);
        totalBytes += data.length;
        totalSec += s.duration;
        if (s.duration >= 1) fullPeak = Math.max(fullPeak, (data.length * 8) / s.duration);
        // INDEPENDENT-SEGMENTS is honest: each segment, with the init segment only, starts with a keyframe.
        if (i === 0) {
          const file = join(work, `v${i}-${n}.mp4`);
          writeFileSync(file, Buffer.concat([initBytes, data]));
          toProbe.push(file);
        }
      }
      // AVERAGE-BANDWIDTH: all the segment bytes over the whole duration, the audio's added; BANDWIDTH: the peak.
      expect(Number(v.attrs['AVERAGE-BANDWIDTH'])).toBe(Math.ceil((totalBytes * 8) / totalSec) + audioAverage);
      expect(Number(v.attrs['BANDWIDTH'])).toBeGreaterThanOrEqual(Math.floor(fullPeak));
      expect(Number(v.attrs['BANDWIDTH'])).toBeGreaterThanOrEqual(Number(v.attrs['AVERAGE-BANDWIDTH']));
    }
    expect(Number(variants[1].attrs['AVERAGE-BANDWIDTH'])).toBeGreaterThan(Number(variants[0].attrs['AVERAGE-BANDWIDTH']));
    // Probed once every download is done: spawnSync blocks the event loop, and a keep-alive
    // socket the server closed meanwhile would be reused (ECONNRESET) on a loaded machine.
    for (const file of toProbe) {
      const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame,pict_type', '-of', 'csv=p=0', file], { encoding: 'utf8' });
      expect(probe.stdout.trim().split('\n')[0]).toMatch(/^1,I/);
    }
  }, 120_000);
});
