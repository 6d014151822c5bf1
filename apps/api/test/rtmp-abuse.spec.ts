import type { CreatedLiveShow } from '@watch-party/contracts';
import { chunkHeader, MSG, RtmpTestClient, u32 } from './rtmp-client';
import { AttackSuite, httpRequest } from './built-replica';

/**
 * Replays the RTMP attacks against a BUILT replica (memory mode, then Redis mode) and checks
 * what each costs: the process stays up, /api/health answers within 500 ms throughout, RSS stays
 * under idle + 300 MiB, fds return to their baseline, and each refusal is the documented one.
 */

const MiB = 1024 * 1024;
const PUBLISH_TIMEOUT_MS = 3000;
const MAX_CONNECTIONS = 10;
const MAX_KBPS = 100;
/** What all connections together may hold unfinished (8 connections x 8 MiB). */
const MAX_UNFINISHED_TOTAL = 64 * MiB;
/** A refused connection is closed at once; well before the publish timeout. */
const REFUSED_WITHIN_MS = 1000;

const ENV = {
  RTMP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  RTMP_PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
  LIVE_MAX_KBPS: String(MAX_KBPS),
  RTMP_MAX_UNFINISHED_BYTES_TOTAL: String(MAX_UNFINISHED_TOTAL),
  LIVE_PUBLISHER_GRACE_MS: '60000',
};

const setChunkSize = (size: number) => Buffer.concat([chunkHeader(0, 2, { length: 4, type: MSG.setChunkSize }), u32(size)]);

/** The first chunk (header + `first` bytes) of a video message declared `length` bytes long. */
const messageStart = (csid: number, length: number, first: number) =>
  Buffer.concat([chunkHeader(0, csid, { length, type: MSG.video, streamId: 1 }), Buffer.alloc(first, 0x17)]);

/** Continuation chunks (fmt 3) of `size` payload bytes each, round-robin over `csids`, `total` payload bytes. */
function continuations(csids: number[], size: number, total: number): Buffer {
  const parts: Buffer[] = [];
  for (let sent = 0, i = 0; sent < total; sent += size, i++) {
    parts.push(chunkHeader(3, csids[i % csids.length]), Buffer.alloc(Math.min(size, total - sent), 0x01));
  }
  return Buffer.concat(parts);
}

async function handshaken(port: number, localAddress?: string): Promise<RtmpTestClient> {
  const c = await RtmpTestClient.open(port, localAddress);
  await c.handshake();
  return c;
}

/** Writes `block` `times` times, or until the server closes the connection. */
async function pump(c: RtmpTestClient, times: number, block: Buffer) {
  for (let i = 0; i < times && !c.isClosed; i++) {
    await c.write(block);
    // A write that completes at once resolves in a microtask: let timers (the watch) run.
    await new Promise((r) => setImmediate(r));
  }
}

describe.each(['memory', 'redis'] as const)('RTMP abuse against a built replica (%s mode)', (mode) => {
  // Warm up the RTMP side too (first connection) before the idle figure is taken.
  const suite = new AttackSuite(mode, { env: ENV, rtmp: true, warmUp: async (r) => (await handshaken(r.rtmpPort)).close() });
  const clients: RtmpTestClient[] = [];

  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  const open = async (localAddress?: string) => {
    const c = await handshaken(suite.replica.rtmpPort, localAddress);
    clients.push(c);
    return c;
  };

  /** Runs an attack while watching the replica, then checks the cost and the refusal count. */
  async function attack(name: string, reason: string, refusals: number, run: () => Promise<void>) {
    await suite.attack({ name, refusals: { [reason]: refusals }, cleanup: () => clients.splice(0).forEach((c) => c.close()) }, run);
  }

  const oneByteChunks = continuations([4, 5, 6], 1, 512 * 1024);

  it('closes a connection that sets chunk size 1, before it can pile up 1-byte chunks of 8 MiB messages (2 connections)', async () => {
    await attack('chunk size 1 + 1-byte chunks', 'rtmp_chunk_size', 2, async () => {
      const conns = [await open(), await open()];
      const t0 = Date.now();
      await Promise.all(
        conns.map(async (c) => {
          await c.write(Buffer.concat([setChunkSize(1), ...[4, 5, 6].map((csid) => messageStart(csid, 8 * MiB, 1))]));
          // 1 MiB per block: 512 Ki chunks of 1 byte, round-robin over the three messages.
          await pump(c, 40, oneByteChunks);
        }),
      );
      for (const c of conns) expect(await c.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
      for (const c of conns) expect((c.closedAt ?? Infinity) - t0).toBeLessThan(REFUSED_WITHIN_MS);
    });
  }, 40_000);

  it('closes a connection that sets chunk size 65537', async () => {
    await attack('chunk size 65537', 'rtmp_chunk_size', 1, async () => {
      const c = await open();
      await c.write(setChunkSize(65_537));
      expect(await c.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
      const status = c.commands().find((v) => v[0] === 'onStatus');
      expect(JSON.stringify(status)).toMatch(/chunk size 65537/);
    });
  });

  it('refuses 8 MiB messages at the 4 MiB message cap (2 connections x 3 messages at 128-byte chunks)', async () => {
    await attack('3 x 8 MiB messages x 2 connections', 'rtmp_message_size', 2, async () => {
      const conns = [await open(), await open()];
      await Promise.all(
        conns.map(async (c) => {
          await c.write(Buffer.concat([4, 5, 6].map((csid) => messageStart(csid, 8 * MiB, 128))));
          await pump(c, 23, continuations([4, 5, 6], 128, MiB));
        }),
      );
      for (const c of conns) expect(await c.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
    });
  }, 40_000);

  it('allows 32 chunk streams and closes the connection at the 33rd (fmt 0 headers)', async () => {
    await attack('33 chunk streams', 'rtmp_chunk_streams', 1, async () => {
      const c = await open();
      // csid 2 is the first (Set Chunk Size), then 31 more: 32 in all.
      await c.write(Buffer.concat([setChunkSize(128), ...Array.from({ length: 31 }, (_, i) => messageStart(3 + i, 256, 128))]));
      expect(await c.closedWithin(300)).toBe(false);
      await c.write(messageStart(34, 256, 128));
      expect(await c.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
    });
  });

  it('allows 8 MiB of unfinished messages and closes the connection at 8 MiB + 1', async () => {
    await attack('8 MiB + 1 unfinished', 'rtmp_unfinished_bytes', 1, async () => {
      const c = await open();
      await c.write(Buffer.concat([messageStart(4, 4 * MiB, 128), messageStart(5, 4 * MiB, 128)]));
      expect(await c.closedWithin(300)).toBe(false);
      await c.write(messageStart(6, 1, 0));
      expect(await c.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
    });
  });

  it('holds at most 8 MiB per connection for 8 connections that never publish, and closes them all at the publish timeout', async () => {
    await attack('8 x 8 MiB held until the timeout', 'rtmp_publish_timeout', 8, async () => {
      const t0 = Date.now();
      const holders = await Promise.all(Array.from({ length: 7 }, () => open()));
      // Whole chunks of one message, then all but the last byte of the other.
      const hold = Buffer.concat([
        setChunkSize(65_536),
        messageStart(4, 4 * MiB, 65_536),
        continuations([4], 65_536, 4 * MiB - 2 * 65_536),
        messageStart(5, 4 * MiB, 65_536),
        continuations([5], 65_536, 4 * MiB - 65_536 - 1),
      ]);
      await Promise.all(holders.map((c) => c.write(hold)));
      // One more only says `connect`, then nothing.
      const idle = await open();
      await idle.command('connect', 1, 0, { app: 'live' });
      await idle.waitCommand((v) => v[0] === '_result');
      const all = [...holders, idle];
      for (const c of all) expect(await c.closedWithin(PUBLISH_TIMEOUT_MS + 2000)).toBe(true);
      for (const c of all) expect(c.closedAt ?? 0).toBeGreaterThanOrEqual(t0 + PUBLISH_TIMEOUT_MS - 100);
      expect(JSON.stringify(idle.commands().find((v) => v[0] === 'onStatus'))).toMatch(/publish/);
    });
  }, 20_000);

  it('holds at most RTMP_MAX_UNFINISHED_BYTES_TOTAL for all connections together, from many addresses', async () => {
    await attack('10 connections x 8 MiB from 5 addresses', 'rtmp_unfinished_bytes', 2, async () => {
      const fill = Buffer.concat([messageStart(4, 4 * MiB, 128), messageStart(5, 4 * MiB, 128)]);
      const conns: RtmpTestClient[] = [];
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const c = await open(`127.0.0.${2 + (i % 5)}`);
        await c.write(fill);
        conns.push(c);
        // Each is accepted or refused before the next one asks.
        await c.closedWithin(i < MAX_UNFINISHED_TOTAL / (8 * MiB) ? 200 : REFUSED_WITHIN_MS);
      }
      expect(conns.map((c) => c.isClosed)).toEqual([false, false, false, false, false, false, false, false, true, true]);
    });
  });

  it('refuses a 9th connection from one address that has not published, closing it at once', async () => {
    await attack('9 connections from 127.0.0.1', 'rtmp_connections_per_address', 1, async () => {
      const first = await Promise.all(Array.from({ length: 8 }, () => open()));
      const ninth = await RtmpTestClient.open(suite.replica.rtmpPort);
      clients.push(ninth);
      expect(await ninth.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
      expect(first.some((c) => c.isClosed)).toBe(false);
      // A reset mid-handshake is nothing to the replica either.
      first[0].socket.resetAndDestroy();
    });
  });

  it(`refuses connection ${MAX_CONNECTIONS + 1} of the replica (RTMP_MAX_CONNECTIONS=${MAX_CONNECTIONS}), whatever the address`, async () => {
    await attack('connections over RTMP_MAX_CONNECTIONS', 'rtmp_connections', 1, async () => {
      const first = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, (_, i) => open(`127.0.0.${2 + (i % 5)}`)));
      const extra = await RtmpTestClient.open(suite.replica.rtmpPort, '127.0.0.9');
      clients.push(extra);
      expect(await extra.closedWithin(REFUSED_WITHIN_MS)).toBe(true);
      expect(first.some((c) => c.isClosed)).toBe(false);
    });
  });

  it(`cuts a publisher above LIVE_MAX_KBPS=${MAX_KBPS} over 5 s with an onStatus error naming the limit`, async () => {
    const res = await httpRequest(`${suite.replica.url}/api/live`, { body: { title: 'Firehose', creatorName: 'Cleo' } });
    expect(res.status).toBe(201);
    const created = JSON.parse(res.body) as CreatedLiveShow;
    await attack('publisher over the bitrate cap', 'live_bitrate', 1, async () => {
      const c = await open();
      const started = await c.publish('live', created.streamKey);
      expect(JSON.stringify(started)).toContain('NetStream.Publish.Start');
      // 160 KB at once: above 100 kbit/s x 5 s (62.5 KB).
      const frame = Buffer.alloc(4000, 0x27);
      const frames = Array.from({ length: 40 }, (_, i) => c.encoder.encode({ csid: 6, type: MSG.video, streamId: 1, timestamp: i * 33, payload: frame }));
      await c.write(Buffer.concat(frames));
      const error = await c.waitCommand((v) => v[0] === 'onStatus' && JSON.stringify(v).includes('"level":"error"'));
      expect(JSON.stringify(error)).toContain(`ingest above the ${MAX_KBPS} kbit/s limit (LIVE_MAX_KBPS)`);
      expect(await c.closedWithin(2000)).toBe(true);
    });
  });

  it('logs each refusal once per reason and client address', () => {
    const lines = suite.replica.output().split('\n');
    for (const reason of ['rtmp_chunk_size', 'rtmp_message_size', 'rtmp_publish_timeout']) {
      expect(lines.filter((l) => l.includes(`${reason} from 127.0.0.1`))).toHaveLength(1);
    }
  });
});
