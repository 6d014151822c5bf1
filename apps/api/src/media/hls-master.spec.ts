import {
  describedVariant,
  measureBandwidth,
  parseAttributeList,
  parseMasterPlaylist,
  parseMediaPlaylist,
  renderMasterPlaylist,
  withAudioCodec,
  withAudioRates,
} from './hls-master';

/** What ffmpeg 5.1 writes with -master_pl_name and two variants. */
const FFMPEG_MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-STREAM-INF:BANDWIDTH=1020800,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"',
  'v0/index.m3u8',
  '',
  '#EXT-X-STREAM-INF:BANDWIDTH=3220800,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"',
  'v1/index.m3u8',
  '',
].join('\n');

const MEDIA = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-MEDIA-SEQUENCE:0',
  '#EXT-X-PLAYLIST-TYPE:VOD',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-MAP:URI="init_0.mp4"',
  '#EXTINF:2.000000,',
  'seg_00000.m4s',
  '#EXTINF:2.000000,',
  'seg_00001.m4s',
  '#EXTINF:1.000000,',
  'seg_00002.m4s',
  '#EXT-X-ENDLIST',
].join('\n');

/** A small deterministic PRNG, so a failing fuzz case can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '#EXTM3U', '#EXT-X-STREAM-INF:', 'BANDWIDTH=', 'AVERAGE-BANDWIDTH=', 'RESOLUTION=', 'CODECS=', 'FRAME-RATE=', '"', ',', '=',
  '\n', '\r\n', '\r', ' ', 'v0/index.m3u8', '#EXTINF:', '#EXT-X-TARGETDURATION:', 'seg_00001.m4s', '-1', '1e400', 'NaN', '0x10',
  '640x360', 'avc1.64001f', '#', '\u0000', '\u2028', 'é', '999999999999999999999', '2.0', 'x',
];

function garbage(rand: () => number): string {
  const n = Math.floor(rand() * 60);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += rand() < 0.7 ? PIECES[Math.floor(rand() * PIECES.length)] : String.fromCharCode(Math.floor(rand() * 0x3000));
  }
  return out;
}

function randomNumber(rand: () => number): number {
  const pick = [NaN, Infinity, -Infinity, -1, 0, 0.0004, 1e300, Number.MAX_SAFE_INTEGER * 4, rand() * 1e7, Math.floor(rand() * 1e7)];
  return pick[Math.floor(rand() * pick.length)];
}

/** Every STREAM-INF line of a rendered master is followed by a URI and carries a positive integer BANDWIDTH. */
function expectWellFormed(text: string) {
  const lines = text.split('\n');
  expect(lines[0]).toBe('#EXTM3U');
  expect(lines).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
  expect(text.endsWith('\n')).toBe(true);
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const attrs = parseAttributeList(line.slice('#EXT-X-STREAM-INF:'.length));
    expect(attrs.get('BANDWIDTH')).toMatch(/^[1-9]\d*$/);
    const avg = attrs.get('AVERAGE-BANDWIDTH');
    if (avg !== undefined) {
      expect(avg).toMatch(/^[1-9]\d*$/);
      expect(Number(avg)).toBeLessThanOrEqual(Number(attrs.get('BANDWIDTH')));
    }
    const fps = attrs.get('FRAME-RATE');
    if (fps !== undefined) expect(fps).toMatch(/^\d+\.\d{3}$/);
    expect(lines[i + 1]).toMatch(/^[A-Za-z0-9._~/-]+$/);
  });
  // At most one audio rendition, and every AUDIO= names a group it declares.
  const media = lines.filter((l) => l.startsWith('#EXT-X-MEDIA:'));
  expect(media.length).toBeLessThanOrEqual(1);
  const groups = media.map((l) => parseAttributeList(l.slice('#EXT-X-MEDIA:'.length)).get('GROUP-ID'));
  for (const line of lines) {
    if (line.startsWith('#EXT-X-STREAM-INF')) expect(line).toContain('BANDWIDTH=');
    const group = line.startsWith('#EXT-X-STREAM-INF:') ? parseAttributeList(line.slice('#EXT-X-STREAM-INF:'.length)).get('AUDIO') : undefined;
    if (group !== undefined) expect(groups).toContain(group);
  }
}

describe('HLS master playlist', () => {
  it('reads ffmpeg master entries, quoted commas included', () => {
    const entries = parseMasterPlaylist(FFMPEG_MASTER);
    expect(entries.map((e) => e.uri)).toEqual(['v0/index.m3u8', 'v1/index.m3u8']);
    expect(entries[1].attributes.get('CODECS')).toBe('"avc1.64001f,mp4a.40.2"');
    expect(describedVariant(entries, 'v1/index.m3u8')).toEqual({ resolution: '1280x720', codecs: 'avc1.64001f,mp4a.40.2' });
    expect(describedVariant(entries, 'v9/index.m3u8')).toEqual({});
    expect(parseMasterPlaylist(FFMPEG_MASTER.replace(/\n/g, '\r\n'))).toHaveLength(2);
  });

  it('reads a media playlist: target duration and segments with their durations', () => {
    expect(parseMediaPlaylist(MEDIA)).toEqual({
      targetDurationSec: 2,
      segments: [
        { uri: 'seg_00000.m4s', durationSec: 2 },
        { uri: 'seg_00001.m4s', durationSec: 2 },
        { uri: 'seg_00002.m4s', durationSec: 1 },
      ],
    });
  });

  it('measures the peak per segment and the average over the whole variant', () => {
    // 2 s at 1 Mbit/s, 2 s at 3 Mbit/s, 2 s at 2 Mbit/s
    const r = measureBandwidth(
      [
        { durationSec: 2, bytes: 250_000 },
        { durationSec: 2, bytes: 750_000 },
        { durationSec: 2, bytes: 500_000 },
      ],
      2,
    );
    expect(r).toEqual({ peak: 3_000_000, average: 2_000_000 });
  });

  it('judges a short last segment with its neighbour, not alone (RFC 8216 windows of 0.5 to 1.5 target durations)', () => {
    // A 0.2 s tail holding a keyframe: alone it would read 8 Mbit/s.
    const r = measureBandwidth(
      [
        { durationSec: 2, bytes: 250_000 },
        { durationSec: 2, bytes: 250_000 },
        { durationSec: 0.2, bytes: 200_000 },
      ],
      2,
    );
    expect(r?.average).toBe(Math.ceil((700_000 * 8) / 4.2));
    expect(r?.peak).toBe(Math.ceil((450_000 * 8) / 2.2));
    // A clip shorter than half a target duration: its whole rate.
    expect(measureBandwidth([{ durationSec: 0.5, bytes: 1000 }], 2)).toEqual({ peak: 16_000, average: 16_000 });
    expect(measureBandwidth([], 2)).toBeNull();
    expect(measureBandwidth([{ durationSec: 0, bytes: 1000 }], 2)).toBeNull();
  });

  it('writes INDEPENDENT-SEGMENTS and every attribute a player picks variants by', () => {
    const text = renderMasterPlaylist([
      { uri: 'v0/index.m3u8', bandwidth: 1_100_000.2, averageBandwidth: 900_000, resolution: '640x360', codecs: 'avc1.64001e,mp4a.40.2', frameRate: 29.97002997 },
      { uri: 'v1/index.m3u8', bandwidth: 3_000_000, averageBandwidth: 2_500_000, resolution: '1280x720', codecs: 'avc1.64001f,mp4a.40.2', frameRate: 30 },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=1100001,AVERAGE-BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=29.970',
        'v0/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000',
        'v1/index.m3u8',
        '',
      ].join('\n'),
    );
    // Round trip: what we write reads back the same.
    const back = parseMasterPlaylist(text);
    expect(back.map((e) => e.attributes.get('BANDWIDTH'))).toEqual(['1100001', '3000000']);
    expect(describedVariant(back, 'v0/index.m3u8')).toEqual({ resolution: '640x360', codecs: 'avc1.64001e,mp4a.40.2' });
  });

  it('lists the audio rendition once (EXT-X-MEDIA) and has every variant refer to it by its group', () => {
    const audio = { uri: 'v2/index.m3u8', groupId: 'audio', name: 'Audio', channels: 2 };
    const text = renderMasterPlaylist(
      [
        { uri: 'v0/index.m3u8', bandwidth: 1_000_000, averageBandwidth: 900_000, resolution: '640x360', codecs: 'avc1.64001e,mp4a.40.2', frameRate: 30, audio: 'audio' },
        { uri: 'v1/index.m3u8', bandwidth: 3_000_000, averageBandwidth: 2_500_000, resolution: '1280x720', codecs: 'avc1.64001f,mp4a.40.2', frameRate: 30, audio: 'audio' },
      ],
      audio,
    );
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="v2/index.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=30.000,AUDIO="audio"',
        'v0/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000,AUDIO="audio"',
        'v1/index.m3u8',
        '',
      ].join('\n'),
    );
    // The audio playlist is no variant of its own: only the video rungs are STREAM-INF entries.
    expect(parseMasterPlaylist(text).map((e) => e.uri)).toEqual(['v0/index.m3u8', 'v1/index.m3u8']);
    // A group that cannot be written is left out, and so are the references to it.
    for (const bad of [{ ...audio, uri: 'v3/index.m3u8"\n#EXT-X-ENDLIST' }, { ...audio, groupId: 'a"b' }, { ...audio, name: '' }]) {
      const without = renderMasterPlaylist([{ uri: 'v0/index.m3u8', bandwidth: 1000, averageBandwidth: 1000, audio: bad.groupId }], bad);
      expect(without).not.toContain('EXT-X-MEDIA');
      expect(without).not.toContain('AUDIO=');
    }
    // A variant naming another group does not refer to this one.
    expect(renderMasterPlaylist([{ uri: 'v0/index.m3u8', bandwidth: 1000, averageBandwidth: 1000, audio: 'other' }], audio)).not.toContain('AUDIO=');
  });

  it('counts the audio rendition in every variant: its rates added, its codec named once', () => {
    expect(withAudioRates({ peak: 1000, average: 800 }, { peak: 130, average: 128 })).toEqual({ peak: 1130, average: 928 });
    expect(withAudioRates({ peak: 1000, average: 800 }, null)).toEqual({ peak: 1000, average: 800 });
    expect(withAudioRates({ peak: Number.MAX_SAFE_INTEGER, average: 1 }, { peak: 5, average: 1 }).peak).toBe(Number.MAX_SAFE_INTEGER);
    expect(withAudioCodec('avc1.640028', 'mp4a.40.2')).toBe('avc1.640028,mp4a.40.2');
    expect(withAudioCodec('avc1.64001e,mp4a.40.2', 'mp4a.40.2')).toBe('avc1.64001e,mp4a.40.2');
    expect(withAudioCodec('avc1.640028', undefined)).toBe('avc1.640028');
    expect(withAudioCodec(undefined, 'mp4a.40.2')).toBeUndefined();
  });

  it('leaves out what it cannot write correctly: no bandwidth, odd URIs, junk attributes', () => {
    const text = renderMasterPlaylist([
      { uri: 'v0/index.m3u8', bandwidth: NaN, averageBandwidth: 1 },
      { uri: 'v1/index.m3u8\n#EXT-X-ENDLIST', bandwidth: 10, averageBandwidth: 1 },
      { uri: 'v2/index.m3u8', bandwidth: 1000, averageBandwidth: 5000, resolution: '1e3x2', codecs: 'a"b', frameRate: 0.0001 },
    ]);
    expect(text).toBe('#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=1000,AVERAGE-BANDWIDTH=1000\nv2/index.m3u8\n');
  });

  it('never throws on garbage and never writes a STREAM-INF line without BANDWIDTH (fuzzed)', () => {
    const rand = prng(0x16);
    for (let n = 0; n < 800; n++) {
      const text = rand() < 0.5 ? garbage(rand) : FFMPEG_MASTER.slice(0, Math.floor(rand() * FFMPEG_MASTER.length)) + garbage(rand);
      const entries = parseMasterPlaylist(text);
      const media = parseMediaPlaylist(rand() < 0.5 ? garbage(rand) : MEDIA + garbage(rand));
      for (const s of media.segments) expect(Number.isFinite(s.durationSec) && s.durationSec >= 0).toBe(true);
      const measured = measureBandwidth(
        media.segments.map((s) => ({ durationSec: rand() < 0.8 ? s.durationSec : randomNumber(rand), bytes: randomNumber(rand) })),
        rand() < 0.5 ? (media.targetDurationSec ?? 2) : randomNumber(rand),
      );
      if (measured) {
        expect(Number.isSafeInteger(measured.peak) && Number.isSafeInteger(measured.average)).toBe(true);
        expect(measured.peak).toBeGreaterThanOrEqual(measured.average);
      }
      const uris = [...entries.map((e) => e.uri), 'v0/index.m3u8', garbage(rand)];
      const variants = uris.map((uri) => ({
        uri,
        bandwidth: rand() < 0.3 ? randomNumber(rand) : (measured?.peak ?? randomNumber(rand)),
        averageBandwidth: randomNumber(rand),
        frameRate: randomNumber(rand),
        ...(rand() < 0.5 ? describedVariant(entries, uri) : { resolution: garbage(rand), codecs: garbage(rand) }),
      }));
      let rendered = '';
      const audio = rand() < 0.5 ? null : { uri: rand() < 0.5 ? 'v3/index.m3u8' : garbage(rand), groupId: rand() < 0.5 ? 'audio' : garbage(rand), name: garbage(rand), channels: randomNumber(rand) };
      expect(() => (rendered = renderMasterPlaylist(variants.map((v) => ({ ...v, audio: rand() < 0.5 ? 'audio' : garbage(rand) })), audio))).not.toThrow();
      expectWellFormed(rendered);
      // What we wrote parses back to as many entries as STREAM-INF lines.
      expect(parseMasterPlaylist(rendered)).toHaveLength(rendered.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:')).length);
    }
  });

  it('takes non-strings without throwing', () => {
    for (const junk of [undefined, null, 42, {}, []] as unknown as string[]) {
      expect(parseMasterPlaylist(junk)).toEqual([]);
      expect(parseMediaPlaylist(junk)).toEqual({ targetDurationSec: null, segments: [] });
      expect(parseAttributeList(junk)).toEqual(new Map());
    }
    expect(renderMasterPlaylist([{ uri: 5, bandwidth: 'x', averageBandwidth: null } as unknown as never])).toBe(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n',
    );
  });
});
