import type { RedisService } from '../redis/redis.service';
import { decodeWatchEvent, encodeWatchEvent, GOP_CACHE_MAX_BYTES, LiveWatchHub, type WatchEvent } from './live-watch.hub';

const hub = () => new LiveWatchHub({ client: null } as unknown as RedisService);
const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('the live-watch hub (one process: loopback relay)', () => {
  it('keeps the init and the fragments since the latest keyframe for joiners, and tells subscribers everything', async () => {
    const h = hub();
    await h.onModuleInit();
    const seen: string[] = [];
    h.subscribe('show', (e) => seen.push(e.kind === 'fragment' ? `f${e.seq}${e.keyframe ? 'K' : ''}` : e.kind));
    h.publishFragment('show', bytes(4), true, 1); // before any init: nobody can start from it
    expect(h.state('show')).toBeNull();
    h.publishInit('show', 'avc1.64001f,mp4a.40.2', bytes(10));
    h.publishFragment('show', bytes(4), true, 2);
    h.publishFragment('show', bytes(4), false, 3);
    expect(h.state('show')?.gop.map((f) => f.seq)).toEqual([2, 3]);
    h.publishFragment('show', bytes(4), true, 4);
    h.publishFragment('show', bytes(4), false, 5);
    expect(h.state('show')).toMatchObject({ init: { codecs: 'avc1.64001f,mp4a.40.2' }, gopBytes: 8 });
    expect(h.state('show')?.gop.map((f) => [f.seq, f.keyframe])).toEqual([[4, true], [5, false]]);
    h.publishEnd('show');
    expect(h.state('show')).toBeNull();
    expect(seen).toEqual(['init', 'f2K', 'f3', 'f4K', 'f5', 'end']);
  });

  it('never caches more than GOP_CACHE_MAX_BYTES (a GOP that long is dropped until the next keyframe)', async () => {
    const h = hub();
    h.publishInit('s', 'mp4a.40.2', bytes(1));
    h.publishFragment('s', bytes(GOP_CACHE_MAX_BYTES / 2), true, 0);
    h.publishFragment('s', bytes(GOP_CACHE_MAX_BYTES / 2 + 1), false, 0);
    expect(h.state('s')).toMatchObject({ gop: [], gopBytes: 0 });
    h.publishFragment('s', bytes(3), false, 0);
    expect(h.state('s')?.gop).toEqual([]); // not a starting point
    h.publishFragment('s', bytes(3), true, 0);
    expect(h.state('s')?.gopBytes).toBe(3);
  });

  it('unsubscribing stops the events', () => {
    const h = hub();
    const seen: WatchEvent[] = [];
    const off = h.subscribe('s', (e) => seen.push(e));
    h.publishInit('s', 'x', bytes(1));
    off();
    h.publishInit('s', 'y', bytes(1));
    expect(seen).toHaveLength(1);
  });
});

describe('relay messages', () => {
  it('round-trip every kind, binary intact', () => {
    const events: WatchEvent[] = [
      { kind: 'init', showId: 'a', codecs: 'avc1.64001f', data: Buffer.from([0, 1, 255]) },
      { kind: 'fragment', showId: 'a', seq: 7, keyframe: false, wallclock: 1234.5, data: Buffer.from([9, 0, 9]) },
      { kind: 'end', showId: 'a' },
    ];
    for (const e of events) expect(decodeWatchEvent(encodeWatchEvent(e))).toEqual(e.kind === 'end' ? e : { ...e, data: expect.any(Buffer) });
    const f = decodeWatchEvent(encodeWatchEvent(events[1]));
    expect(f && 'data' in f ? [...f.data] : null).toEqual([9, 0, 9]);
  });

  it('garbage decodes to null, never throws', () => {
    let x = 3;
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const good = encodeWatchEvent({ kind: 'fragment', showId: 'a', seq: 1, keyframe: true, wallclock: 1, data: bytes(8) });
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(good);
      const n = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
      const cut = buf.subarray(0, Math.floor(rnd() * (buf.length + 1)));
      expect(() => decodeWatchEvent(cut)).not.toThrow();
    }
    expect(decodeWatchEvent(Buffer.from('{}'))).toBeNull();
    expect(decodeWatchEvent(Buffer.from([1, 0, 0, 0, 2, 0x7b, 0x7d]))).toBeNull(); // {} lacks a showId
    expect(decodeWatchEvent(Buffer.from([1, 255, 255, 255, 255]))).toBeNull();
  });
});
