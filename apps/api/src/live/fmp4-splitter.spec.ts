import { childBoxes, describeInit, type Fmp4Fragment, Fmp4Splitter, MAX_BOX_BYTES, startsWithKeyframe, videoSamples } from './fmp4-splitter';

const box = (type: string, ...payload: Buffer[]): Buffer => {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** tfhd for `track` with default-sample-flags, trun with first-sample-flags. */
const fragment = (track: number, firstFlags: number) =>
  Buffer.concat([
    box('moof', box('traf', box('tfhd', u32(0x000020), u32(track), u32(0x01010000)), box('trun', u32(0x000005), u32(1), u32(0), u32(firstFlags)))),
    box('mdat', Buffer.from('frame')),
  ]);
/** An init with one track: tkhd (its id), mdhd (its timescale), hdlr (vide or soun). */
const initWith = (track: number, timescale: number, handler: 'vide' | 'soun') =>
  Buffer.concat([
    box('ftyp', Buffer.from('isom')),
    box(
      'moov',
      box(
        'trak',
        box('tkhd', u32(0), u32(0), u32(0), u32(track), Buffer.alloc(68)),
        box('mdia', box('mdhd', u32(0), u32(0), u32(0), u32(timescale), u32(0)), box('hdlr', u32(0), u32(0), Buffer.from(handler), Buffer.alloc(12))),
      ),
    ),
  ]);
/** A fragment of `track` decoded from `decodeTime` (tfdt version 1), with trun boxes of these sample counts. */
const timedFragment = (track: number, decodeTime: number, ...counts: number[]) => {
  const tfdt = Buffer.alloc(12);
  tfdt.writeUInt32BE(0x01000000);
  tfdt.writeBigUInt64BE(BigInt(decodeTime), 4);
  return Buffer.concat([
    box('moof', box('traf', box('tfhd', u32(0), u32(track)), box('tfdt', tfdt), ...counts.map((n) => box('trun', u32(0), u32(n))))),
    box('mdat', Buffer.from('frames')),
  ]);
};
const SYNC = 0x02000000;
const NON_SYNC = 0x01010000;

describe('the fMP4 splitter', () => {
  it('reads sync flags: first-sample-flags, else the default flags; audio-only streams are all starting points', () => {
    expect(startsWithKeyframe(fragment(1, SYNC), [1])).toBe(true);
    expect(startsWithKeyframe(fragment(1, NON_SYNC), [1])).toBe(false);
    expect(startsWithKeyframe(fragment(2, NON_SYNC), [1])).toBe(false); // not the video track: none found
    expect(startsWithKeyframe(fragment(2, NON_SYNC), [])).toBe(true);
  });

  it('cuts boxes fed in chunks of any size, and waits for the init before fragments', () => {
    const init = Buffer.concat([box('ftyp', Buffer.from('isom')), box('moov', box('mvhd', Buffer.alloc(20)))]);
    const stream = Buffer.concat([init, fragment(1, SYNC), fragment(1, NON_SYNC), box('mfra', Buffer.alloc(4))]);
    for (const chunk of [1, 3, 7, 64, stream.length]) {
      const inits: Buffer[] = [];
      const frags: { data: Buffer; keyframe: boolean }[] = [];
      const s = new Fmp4Splitter((i) => inits.push(i.data), (f) => frags.push(f));
      for (let at = 0; at < stream.length; at += chunk) s.push(stream.subarray(at, at + chunk));
      expect(s.failed).toBeNull();
      expect(inits).toEqual([init]);
      // No video track in this moov: every fragment is a starting point.
      expect(frags.map((f) => f.data)).toEqual([fragment(1, SYNC), fragment(1, NON_SYNC)]);
    }
  });

  it('counts the video frames of each fragment and when they start (tfdt over the mdhd timescale), for the frame rate', () => {
    const init = initWith(1, 15360, 'vide');
    expect(describeInit(init)).toMatchObject({ videoTracks: [1], timescales: new Map([[1, 15360]]) });
    expect(videoSamples(timedFragment(1, 15360 * 2, 10, 5), [1], new Map([[1, 15360]]))).toEqual({ frames: 15, startSec: 2 });
    expect(videoSamples(timedFragment(2, 100, 10), [1], new Map([[1, 15360]]))).toEqual({ frames: 0, startSec: null }); // not video
    const frags: Fmp4Fragment[] = [];
    const s = new Fmp4Splitter(() => undefined, (f) => frags.push(f));
    s.push(Buffer.concat([init, timedFragment(1, 0, 15), timedFragment(1, 7680, 15)]));
    expect(frags.map((f) => [f.videoFrames, f.videoStartSec])).toEqual([[15, 0], [15, 0.5]]);
    // Audio only: no video frames, no start.
    const audio: Fmp4Fragment[] = [];
    const a = new Fmp4Splitter(() => undefined, (f) => audio.push(f));
    a.push(Buffer.concat([initWith(1, 48000, 'soun'), timedFragment(1, 48000, 23)]));
    expect(audio.map((f) => [f.videoFrames, f.videoStartSec])).toEqual([[0, null]]);
  });

  it('gives up for good on a box over MAX_BOX_BYTES, a bad header, or a fragment before the init', () => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(MAX_BOX_BYTES + 1);
    huge.write('mdat', 4, 'latin1');
    for (const bad of [huge, Buffer.from([0, 0, 0, 4, 0x6d, 0x6f, 0x6f, 0x76]), Buffer.from('\u0000\u0000\u0000\u0010\u0001\u0002\u0003\u0004xxxxxxxx', 'latin1'), fragment(1, SYNC)]) {
      const s = new Fmp4Splitter(() => undefined, () => undefined);
      s.push(bad);
      expect(s.failed).not.toBeNull();
      s.push(fragment(1, SYNC)); // ignored from now on
    }
  });

  it('garbage in never throws and never emits more than it was given', () => {
    let x = 7;
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 500; i++) {
      const parts: Buffer[] = [];
      const n = Math.floor(rnd() * 8);
      for (let k = 0; k < n; k++) {
        const r = rnd();
        if (r < 0.3) parts.push(fragment(Math.floor(rnd() * 3), rnd() < 0.5 ? SYNC : NON_SYNC));
        else if (r < 0.5) parts.push(box(['ftyp', 'moov', 'moof', 'mdat', 'free'][Math.floor(rnd() * 5)], Buffer.alloc(Math.floor(rnd() * 40))));
        else parts.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))));
      }
      const input = Buffer.concat(parts);
      let out = 0;
      const s = new Fmp4Splitter((init) => (out += init.data.length), (f) => (out += f.data.length));
      for (let at = 0, len = 1; at < input.length; at += len, len = 1 + Math.floor(rnd() * 16)) s.push(input.subarray(at, at + len));
      expect(out).toBeLessThanOrEqual(input.length);
      expect(() => childBoxes(input, 0, input.length)).not.toThrow();
      expect(() => startsWithKeyframe(input, [1])).not.toThrow();
      expect(() => videoSamples(input, [1], new Map([[1, 90000]]))).not.toThrow();
      expect(() => describeInit(input)).not.toThrow();
    }
  });
});
