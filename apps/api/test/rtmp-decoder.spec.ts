import fc from 'fast-check';
import { AmfError, type AmfValue, decodeAmf0, encodeAmf0 } from '../src/live/amf0';
import {
  ByteBudget,
  type ChunkDecoderLimits,
  MAX_CHUNK_HEADER_BYTES,
  RtmpChunkDecoder,
  RtmpDecodeError,
  type RtmpMessage,
} from '../src/live/rtmp-chunk-decoder';
import { chunkHeader, ChunkEncoder, MSG, type OutMessage, u32 } from './rtmp-client';

const MiB = 1024 * 1024;
/** The defaults of RTMP_MAX_CHUNK_STREAMS, RTMP_MAX_MESSAGE_BYTES, RTMP_MAX_UNFINISHED_BYTES. */
const DEFAULTS: ChunkDecoderLimits = { maxChunkStreams: 32, maxMessageBytes: 4 * MiB, maxUnfinishedBytes: 8 * MiB };

const setChunkSize = (size: number) => Buffer.concat([chunkHeader(0, 2, { length: 4, type: MSG.setChunkSize }), u32(size)]);
const start = (csid: number, length: number, first = 0, fmt: 0 | 1 = 0) =>
  Buffer.concat([chunkHeader(fmt, csid, { length, type: MSG.video, streamId: 1 }), Buffer.alloc(first)]);

/** The decoder's error reason for `push(data)`, or 'ok'. */
function outcome(decoder: RtmpChunkDecoder, data: Buffer): string {
  try {
    decoder.push(data);
    return 'ok';
  } catch (err) {
    if (err instanceof RtmpDecodeError) return err.reason;
    throw err;
  }
}

describe('RTMP chunk decoder: limits', () => {
  it.each([
    [127, 'rtmp_chunk_size'],
    [128, 'ok'],
    [65_536, 'ok'],
    [65_537, 'rtmp_chunk_size'],
    [1, 'rtmp_chunk_size'],
    [0x7fffffff, 'rtmp_chunk_size'],
  ])('Set Chunk Size %i: %s', (size, expected) => {
    const d = new RtmpChunkDecoder(DEFAULTS);
    expect(outcome(d, setChunkSize(size))).toBe(expected);
    if (expected === 'ok') expect(d.inChunkSize).toBe(size);
  });

  it('takes 32 chunk streams and refuses the 33rd, whatever the header format', () => {
    for (const fmt of [0, 1] as const) {
      const d = new RtmpChunkDecoder(DEFAULTS);
      const streams = Buffer.concat(Array.from({ length: 32 }, (_, i) => start(3 + i, 10, 10, fmt)));
      expect(outcome(d, streams)).toBe('ok');
      expect(d.chunkStreams).toBe(32);
      expect(outcome(d, start(3, 10, 10, fmt))).toBe('ok'); // a known one is fine
      expect(outcome(d, start(35, 10, 10, fmt))).toBe('rtmp_chunk_streams');
    }
    // fmt 3 on a new chunk stream counts too.
    const d = new RtmpChunkDecoder(DEFAULTS);
    expect(outcome(d, Buffer.from(Array.from({ length: 32 }, (_, i) => 0xc0 | (3 + i))))).toBe('ok');
    expect(outcome(d, Buffer.from([0xc0 | 40]))).toBe('rtmp_chunk_streams');
  });

  it('takes a 4 MiB message and refuses 4 MiB + 1 at its first header', () => {
    const ok = new RtmpChunkDecoder(DEFAULTS);
    expect(outcome(ok, start(4, 4 * MiB))).toBe('ok');
    expect(ok.unfinishedBytes).toBe(4 * MiB);
    expect(outcome(new RtmpChunkDecoder(DEFAULTS), start(4, 4 * MiB + 1))).toBe('rtmp_message_size');
  });

  it('holds 8 MiB of unfinished messages and refuses 1 byte more', () => {
    const d = new RtmpChunkDecoder(DEFAULTS);
    expect(outcome(d, Buffer.concat([start(4, 4 * MiB, 128), start(5, 4 * MiB, 128)]))).toBe('ok');
    expect(d.unfinishedBytes).toBe(8 * MiB);
    expect(outcome(d, start(6, 1))).toBe('rtmp_unfinished_bytes');
    expect(d.unfinishedBytes).toBe(0); // released on error
    expect(() => d.push(Buffer.alloc(1))).toThrow(RtmpDecodeError); // and dead from then on
  });

  it('frees the share of finished and aborted messages', () => {
    const d = new RtmpChunkDecoder(DEFAULTS);
    expect(outcome(d, Buffer.concat([start(4, 4 * MiB, 128), start(5, 4 * MiB - 5, 128), start(6, 1)]))).toBe('ok');
    expect(d.unfinishedBytes).toBe(8 * MiB - 4);
    expect(outcome(d, Buffer.from([0]))).toBe('ok'); // completes the 1-byte message on csid 6
    expect(d.unfinishedBytes).toBe(8 * MiB - 5);
    // Abort Message (type 2, 4 bytes: it fits) for csid 5 drops its 4 MiB - 5.
    expect(outcome(d, Buffer.concat([chunkHeader(0, 2, { length: 4, type: MSG.abort }), u32(5)]))).toBe('ok');
    expect(d.unfinishedBytes).toBe(4 * MiB);
    expect(outcome(d, start(7, 4 * MiB, 128))).toBe('ok');
    expect(outcome(d, start(8, 1))).toBe('rtmp_unfinished_bytes');
  });

  it('shares a replica-wide budget between connections: refuses 1 byte past it, and gets every byte back', () => {
    const pool = new ByteBudget(12 * MiB);
    const a = new RtmpChunkDecoder(DEFAULTS, pool);
    const b = new RtmpChunkDecoder(DEFAULTS, pool);
    expect(outcome(a, Buffer.concat([start(4, 4 * MiB, 128), start(5, 4 * MiB, 128)]))).toBe('ok');
    expect(outcome(b, start(4, 4 * MiB, 128))).toBe('ok');
    expect(pool.inUse).toBe(12 * MiB);
    const c = new RtmpChunkDecoder(DEFAULTS, pool);
    expect(outcome(c, start(4, 1))).toBe('rtmp_unfinished_bytes');
    expect(pool.inUse).toBe(12 * MiB);
    a.release(); // a connection closed mid-message
    expect(pool.inUse).toBe(4 * MiB);
    const d = new RtmpChunkDecoder(DEFAULTS, pool);
    expect(outcome(d, Buffer.concat([start(4, 4, 0), Buffer.alloc(4)]))).toBe('ok'); // a whole message
    expect(pool.inUse).toBe(4 * MiB);
    expect(outcome(b, start(5, 4 * MiB, 128))).toBe('ok');
    expect(pool.inUse).toBe(8 * MiB);
    expect(outcome(b, start(6, 1))).toBe('rtmp_unfinished_bytes'); // past its own 8 MiB
    expect(pool.inUse).toBe(0);
  });

  it('keeps at most one partial chunk header between calls, and assembles each message in one buffer of its length', () => {
    const d = new RtmpChunkDecoder(DEFAULTS);
    const enc = new ChunkEncoder(128);
    // Larger than half of Buffer.poolSize: allocated on its own, not sliced from the pool.
    const payload = Buffer.alloc(Buffer.poolSize + 1, 7);
    const bytes = enc.encode({ csid: 65_599, type: MSG.video, streamId: 1, timestamp: 0x1000000, payload });
    const out: RtmpMessage[] = [];
    let maxBuffered = 0;
    for (const b of bytes) {
      out.push(...d.push(Buffer.from([b])));
      maxBuffered = Math.max(maxBuffered, d.bufferedBytes);
    }
    // 3-byte csid + 11-byte header + extended timestamp = 18; a complete header is parsed at once.
    expect(maxBuffered).toBe(MAX_CHUNK_HEADER_BYTES - 1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: MSG.video, streamId: 1, timestamp: 0x1000000 });
    expect(out[0].payload.equals(payload)).toBe(true);
    expect(out[0].payload.buffer.byteLength).toBe(payload.length); // its own allocation, not a concat of chunks
  });
});

const SMALL: ChunkDecoderLimits = { maxChunkStreams: 6, maxMessageBytes: 8192, maxUnfinishedBytes: 12_288 };

/** A message repeated with the same fields (and delta): what makes fmt 2 and fmt 3 headers. */
const runArb = fc.record({ repeat: fc.integer({ min: 1, max: 4 }), fresh: fc.boolean() });

/**
 * Messages as a publisher sends them: media, data, commands on a few chunk streams, with
 * lengths, types and timestamp deltas that often repeat (so fmt 1, 2 and 3 headers show up).
 */
const messageArb = fc.record({
  csid: fc.constantFrom(3, 4, 63, 64, 319, 320, 65_599),
  type: fc.constantFrom(MSG.audio, MSG.video, MSG.video, MSG.dataAmf0, MSG.commandAmf0, 3, 4, 5, 6),
  streamId: fc.constantFrom(1, 1, 1, 0, 0x01020304),
  delta: fc.oneof(fc.constantFrom(0, 21, 33, 33), fc.integer({ min: 0, max: 100 }), fc.constant(0xffffff), fc.integer({ min: 0, max: 0x7fffffff })),
  payload: fc
    .constantFrom(0, 1, 127, 128, 129, 300, 300, 4500)
    .chain((n) => fc.oneof(fc.constant(new Uint8Array(n).fill(n & 0xff)), fc.uint8Array({ minLength: n, maxLength: n }))),
});

/** Splits `bytes` at random points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(prev, p));
    prev = p;
  }
  return parts;
}

describe('RTMP chunk decoder: properties (fast-check)', () => {
  it('decodes the same messages whatever the chunk size and the read boundaries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 128, max: 65_536 }),
        fc.array(fc.tuple(messageArb, runArb), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (chunkSize, runs, cuts) => {
          const msgs = runs.flatMap(([m, run]) =>
            Array.from({ length: run.repeat }, (_, i) => (run.fresh && i > 0 ? { ...m, payload: m.payload.map((b) => b ^ i) } : m)),
          );
          const enc = new ChunkEncoder(128);
          const sent: OutMessage[] = [{ csid: 2, type: MSG.setChunkSize, streamId: 0, timestamp: 0, payload: u32(chunkSize) }];
          const timestamps = new Map<number, number>();
          for (const m of msgs) {
            const timestamp = ((timestamps.get(m.csid) ?? 0) + m.delta) % 0x100000000;
            timestamps.set(m.csid, timestamp);
            sent.push({ csid: m.csid, type: m.type, streamId: m.streamId, timestamp, payload: Buffer.from(m.payload) });
          }
          const parts: Buffer[] = [];
          for (const m of sent) {
            parts.push(enc.encode(m));
            if (m.type === MSG.setChunkSize) enc.chunkSize = chunkSize;
          }
          const d = new RtmpChunkDecoder(DEFAULTS);
          const got = split(Buffer.concat(parts), cuts).flatMap((p) => d.push(p));
          expect(got.map((m) => ({ ...m, payload: m.payload.toString('hex') }))).toEqual(
            sent.map(({ type, streamId, timestamp, payload }) => ({ type, streamId, timestamp, payload: payload.toString('hex') })),
          );
          expect(d.unfinishedBytes).toBe(0);
          expect(d.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  const checkBounded = (d: RtmpChunkDecoder, parts: Buffer[]) => {
    for (const p of parts) {
      try {
        d.push(p);
      } catch (err) {
        expect(err).toBeInstanceOf(RtmpDecodeError);
        return;
      } finally {
        expect(d.unfinishedBytes).toBeLessThanOrEqual(SMALL.maxUnfinishedBytes);
        expect(d.bufferedBytes).toBeLessThanOrEqual(MAX_CHUNK_HEADER_BYTES);
        expect(d.chunkStreams).toBeLessThanOrEqual(SMALL.maxChunkStreams);
      }
    }
  };

  it('never throws anything but RtmpDecodeError on random bytes, and stays within its bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), (chunks) => {
        checkBounded(new RtmpChunkDecoder(SMALL), chunks.map((c) => Buffer.from(c)));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but RtmpDecodeError on mutated valid streams, and stays within its bounds', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (msgs, flips, cuts) => {
          const enc = new ChunkEncoder(128);
          const bytes = Buffer.concat(msgs.map((m, i) => enc.encode({ ...m, timestamp: i, payload: Buffer.from(m.payload) })));
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          checkBounded(new RtmpChunkDecoder(SMALL), split(bytes, cuts));
        },
      ),
      { numRuns: 300 },
    );
  });
});

const amfValue: fc.Arbitrary<AmfValue> = fc.letrec<{ value: AmfValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.double(),
    fc.boolean(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

describe('AMF0: properties (fast-check)', () => {
  it('throws nothing but AmfError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        try {
          decodeAmf0(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(AmfError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('throws nothing but AmfError on mutated commands', () => {
    fc.assert(
      fc.property(fc.array(amfValue, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (values, flips) => {
        const bytes = encodeAmf0(...values);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        try {
          decodeAmf0(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(AmfError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.array(amfValue, { maxLength: 6 }), (values) => {
        expect(decodeAmf0(encodeAmf0(...values))).toEqual(values);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses more than 10,000 values in one message (a 4 MiB command is not a 1 M-property object)', () => {
    const props = Buffer.concat(Array.from({ length: 10_001 }, (_, i) => Buffer.concat([Buffer.from([0, 4]), Buffer.from(i.toString(16).padStart(4, '0')), Buffer.from([0x05])])));
    expect(() => decodeAmf0(Buffer.concat([Buffer.from([0x03]), props, Buffer.from([0, 0, 0x09])]))).toThrow(/more than 10000 values/);
    expect(decodeAmf0(Buffer.concat([Buffer.from([0x03]), props.subarray(0, 9_999 * 7), Buffer.from([0, 0, 0x09])]))).toHaveLength(1);
  });
});
