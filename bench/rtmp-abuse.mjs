// Figure: rtmp_abuse_rss_mib.
// The built server (RTMP_PORT on a free loopback port, default limits) is idle; its VmRSS is the
// reference. Then, from one client address (127.0.0.1), the attacks of the RTMP hardening issue at
// once: 2 connections that set chunk size 1 and send 1-byte chunks of three 8 MiB messages
// (the old crash), 2 connections declaring three 8 MiB messages at 128-byte chunks, 1 connection
// opening 128 chunk streams, then 8 connections (the per-address cap) each holding 8 MiB of
// unfinished messages until the publish timeout closes them. value = peak VmRSS (sampled every
// 25 ms) during all that, in MiB. params.allConnections: the same holders on every connection the
// replica takes (RTMP_MAX_CONNECTIONS, from 8 loopback addresses), measured right after.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { LOOPBACK, freePort, log, round, rssKiB, sleep, startApi } from './lib/util.mjs';

const MiB = 1024 * 1024;
const MAX_CONNECTIONS = 64; // RTMP_MAX_CONNECTIONS default
const PER_ADDRESS = 8; // RTMP_MAX_CONNECTIONS_PER_ADDRESS default
const PUBLISH_TIMEOUT_MS = 10_000; // RTMP_PUBLISH_TIMEOUT_MS default

function chunkHeader(fmt, csid, { timestamp = 0, length = 0, type = 0, streamId = 0 } = {}) {
  const basic = csid < 64 ? Buffer.from([(fmt << 6) | csid]) : Buffer.from([fmt << 6, csid - 64]);
  const msg = Buffer.alloc([11, 7, 3, 0][fmt]);
  if (fmt <= 2) msg.writeUIntBE(timestamp, 0, 3);
  if (fmt <= 1) {
    msg.writeUIntBE(length, 3, 3);
    msg[6] = type;
  }
  if (fmt === 0) msg.writeUInt32LE(streamId, 7);
  return Buffer.concat([basic, msg]);
}

const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const setChunkSize = (n) => Buffer.concat([chunkHeader(0, 2, { length: 4, type: 1 }), u32(n)]);
const messageStart = (csid, length, first) => Buffer.concat([chunkHeader(0, csid, { length, type: 9, streamId: 1 }), Buffer.alloc(first, 0x17)]);
function continuations(csid, size, total) {
  const parts = [];
  for (let sent = 0; sent < total; sent += size) parts.push(chunkHeader(3, csid), Buffer.alloc(Math.min(size, total - sent), 1));
  return Buffer.concat(parts);
}

/** A handshaken raw RTMP connection; `closed` resolves when the server closes it. */
function open(port, localAddress) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: LOOPBACK, localAddress });
    const conn = { socket, closed: false };
    conn.done = new Promise((r) => socket.once('close', () => r((conn.closed = true))));
    let got = 0;
    socket.on('error', () => undefined);
    socket.once('connect', () => socket.write(Buffer.concat([Buffer.from([3]), randomBytes(1536)])));
    socket.on('data', (d) => {
      if (got >= 3073) return;
      got += d.length;
      if (got >= 3073) {
        socket.write(randomBytes(1536));
        resolve(conn);
      }
    });
    socket.once('close', () => (got < 3073 ? reject(new Error('closed during the handshake')) : undefined));
  });
}

const write = (conn, data) => new Promise((r) => (conn.closed ? r() : conn.socket.write(data, () => r())));

async function pump(conn, times, block) {
  for (let i = 0; i < times && !conn.closed; i++) {
    await write(conn, block);
    await new Promise((r) => setImmediate(r));
  }
}

/** Peak RSS and slowest /api/health while `fn` runs. */
async function measure(api, fn) {
  let peak = rssKiB(api.pid);
  let maxHealthMs = 0;
  let running = true;
  const timer = setInterval(() => (peak = Math.max(peak, rssKiB(api.pid))), 25);
  const health = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await fetch(`${api.url}/api/health`, { signal: AbortSignal.timeout(5000) });
      } catch {
        /* counted as slow */
      }
      maxHealthMs = Math.max(maxHealthMs, performance.now() - t0);
      await sleep(50);
    }
  })();
  try {
    await fn();
  } finally {
    running = false;
    clearInterval(timer);
    await health;
  }
  return { peakMiB: Math.max(peak, rssKiB(api.pid)) / 1024, maxHealthMs };
}

// Built before anything is measured: making them blocks this process (and its health probe).
const HOLD = () =>
  Buffer.concat([
    setChunkSize(65_536),
    messageStart(4, 4 * MiB, 65_536),
    continuations(4, 65_536, 4 * MiB - 2 * 65_536),
    messageStart(5, 4 * MiB, 65_536),
    continuations(5, 65_536, 4 * MiB - 65_536 - 1),
  ]);

/**
 * Connections from `addresses`, each holding 2 x 4 MiB messages short of their last byte.
 * A connection the server refuses during the handshake is left out (the attack goes on).
 */
async function holders(port, addresses, hold) {
  const conns = [];
  for (const a of addresses) {
    const c = await open(port, a).catch(() => null);
    if (c) conns.push(c);
  }
  await Promise.all(conns.map((c) => write(c, hold)));
  return conns;
}

export async function rtmpAbuseBench({ emit }) {
  const rtmpPort = await freePort();
  const api = await startApi({ RTMP_PORT: String(rtmpPort) });
  try {
    for (let i = 0; i < 20; i++) await fetch(`${api.url}/api/health`);
    (await open(rtmpPort)).socket.destroy();
    await sleep(500);
    const idleMiB = rssKiB(api.pid) / 1024;
    log(`rtmp-abuse: idle RSS ${round(idleMiB)} MiB`);

    const hold = HOLD();
    const oneByte = continuations(4, 1, 512 * 1024);
    const smallChunks = continuations(4, 128, MiB);
    const manyStreams = Buffer.concat(Array.from({ length: 128 }, (_, i) => messageStart(3 + i, 256, 128)));
    const one = await measure(api, async () => {
      const crash = [await open(rtmpPort), await open(rtmpPort)];
      const big = [await open(rtmpPort), await open(rtmpPort)];
      const streams = await open(rtmpPort);
      await Promise.all([
        ...crash.map(async (c) => {
          await write(c, Buffer.concat([setChunkSize(1), messageStart(4, 8 * MiB, 1)]));
          await pump(c, 40, oneByte);
        }),
        ...big.map(async (c) => {
          await write(c, Buffer.concat([4, 5, 6].map((csid) => messageStart(csid, 8 * MiB, 128))));
          await pump(c, 23, smallChunks);
        }),
        write(streams, manyStreams),
      ]);
      await Promise.all([...crash, ...big, streams].map((c) => Promise.race([c.done, sleep(5000)])));
      await sleep(200); // the server has seen those closes too before the next 8 come from the same address
      const held = await holders(rtmpPort, Array.from({ length: PER_ADDRESS }, () => LOOPBACK), hold);
      await Promise.race([Promise.all(held.map((c) => c.done)), sleep(PUBLISH_TIMEOUT_MS + 3000)]);
      for (const c of [...crash, ...big, streams, ...held]) c.socket.destroy();
    });
    log(`rtmp-abuse: one address: peak RSS ${round(one.peakMiB)} MiB, slowest health ${Math.round(one.maxHealthMs)} ms`);

    await sleep(1000);
    const all = await measure(api, async () => {
      const addresses = Array.from({ length: MAX_CONNECTIONS }, (_, i) => `127.0.0.${2 + (i % (MAX_CONNECTIONS / PER_ADDRESS))}`);
      const held = await holders(rtmpPort, addresses, hold);
      await Promise.race([Promise.all(held.map((c) => c.done)), sleep(PUBLISH_TIMEOUT_MS + 3000)]);
      for (const c of held) c.socket.destroy();
    });
    log(`rtmp-abuse: ${MAX_CONNECTIONS} connections: peak RSS ${round(all.peakMiB)} MiB, slowest health ${Math.round(all.maxHealthMs)} ms`);

    emit({
      name: 'rtmp_abuse_rss_mib',
      value: one.peakMiB,
      unit: 'MiB',
      reference: idleMiB,
      params: {
        target: 'value < reference + 300 MiB',
        attack:
          'from 127.0.0.1 at once: 2 x (chunk size 1, 1-byte chunks of an 8 MiB message), 2 x (three 8 MiB messages, 128-byte chunks), 1 x 128 chunk streams; then 8 connections holding 8 MiB of unfinished messages each until the publish timeout',
        limits: 'defaults: 4 MiB per message, 8 MiB unfinished and 32 chunk streams per connection, 128 MiB unfinished per replica, 8 waiting connections per address, 64 per replica, 10 s to publish',
        healthMaxMs: Math.round(one.maxHealthMs),
        allConnectionsPeakMiB: round(all.peakMiB),
        allConnectionsHealthMaxMs: Math.round(all.maxHealthMs),
        allConnections: `${MAX_CONNECTIONS} connections from ${MAX_CONNECTIONS / PER_ADDRESS} loopback addresses, each holding 8 MiB of unfinished messages`,
      },
    });
  } finally {
    await api.stop();
  }
}
