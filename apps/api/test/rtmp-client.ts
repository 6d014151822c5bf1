import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { type AmfValue, decodeAmf0, encodeAmf0 } from '../src/live/amf0';
import { type RtmpMessage, RtmpChunkDecoder } from '../src/live/rtmp-chunk-decoder';

/** A raw RTMP client for tests: handshake, chunk encoding, commands, and what the server says. */

export const MSG = { setChunkSize: 1, abort: 2, audio: 8, video: 9, dataAmf0: 18, commandAmf0: 20 } as const;

export interface OutMessage {
  csid: number;
  type: number;
  streamId: number;
  timestamp: number;
  payload: Buffer;
}

export interface HeaderFields {
  timestamp?: number;
  length?: number;
  type?: number;
  streamId?: number;
}

/** One chunk header (basic header + message header + extended timestamp). */
export function chunkHeader(fmt: 0 | 1 | 2 | 3, csid: number, f: HeaderFields = {}, extendedTs?: number): Buffer {
  const basic =
    csid < 64
      ? Buffer.from([(fmt << 6) | csid])
      : csid < 320
        ? Buffer.from([fmt << 6, csid - 64])
        : Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
  const msg = Buffer.alloc([11, 7, 3, 0][fmt]);
  const ts = f.timestamp ?? 0;
  const extended = fmt <= 2 ? ts >= 0xffffff : extendedTs !== undefined;
  if (fmt <= 2) msg.writeUIntBE(extended ? 0xffffff : ts, 0, 3);
  if (fmt <= 1) {
    msg.writeUIntBE(f.length ?? 0, 3, 3);
    msg[6] = f.type ?? 0;
  }
  if (fmt === 0) msg.writeUInt32LE(f.streamId ?? 0, 7);
  const ext = Buffer.alloc(extended ? 4 : 0);
  if (extended) ext.writeUInt32BE(fmt <= 2 ? ts : (extendedTs ?? 0));
  return Buffer.concat([basic, msg, ext]);
}

/**
 * Encodes messages as chunks the way real encoders do: full header on a new chunk stream,
 * compressed headers (fmt 1/2/3) when the fields repeat, fmt 3 continuations.
 */
export class ChunkEncoder {
  private readonly prev = new Map<number, { timestamp: number; delta: number; length: number; type: number; streamId: number; ext: boolean }>();

  constructor(public chunkSize = 128) {}

  encode(m: OutMessage): Buffer {
    const p = this.prev.get(m.csid);
    const delta = p ? m.timestamp - p.timestamp : 0;
    let fmt: 0 | 1 | 2 | 3 = 0;
    if (p && p.streamId === m.streamId && delta >= 0 && delta < 0xffffff && !p.ext) {
      if (p.length !== m.payload.length || p.type !== m.type) fmt = 1;
      else if (p.delta !== delta) fmt = 2;
      else fmt = 3;
    }
    const ts = fmt === 0 ? m.timestamp : delta;
    const parts = [chunkHeader(fmt, m.csid, { timestamp: ts, length: m.payload.length, type: m.type, streamId: m.streamId })];
    const ext = fmt === 0 && ts >= 0xffffff;
    for (let off = 0; off < m.payload.length || off === 0; off += this.chunkSize) {
      if (off > 0) parts.push(chunkHeader(3, m.csid, {}, ext ? ts : undefined));
      parts.push(m.payload.subarray(off, off + this.chunkSize));
      if (m.payload.length === 0) break;
    }
    this.prev.set(m.csid, { timestamp: m.timestamp, delta: fmt === 0 ? 0 : delta, length: m.payload.length, type: m.type, streamId: m.streamId, ext });
    return Buffer.concat(parts);
  }
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export class RtmpTestClient {
  readonly encoder = new ChunkEncoder();
  /** Messages from the server, decoded. */
  readonly messages: RtmpMessage[] = [];
  /** Resolves with the time (Date.now()) the server closed or reset the connection. */
  readonly closed: Promise<number>;
  closedAt: number | null = null;
  private handshakeBuf = Buffer.alloc(0);
  private handshaken = false;
  private readonly decoder = new RtmpChunkDecoder({ maxChunkStreams: 1000, maxMessageBytes: 1 << 24, maxUnfinishedBytes: 1 << 26 });
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.closedAt = Date.now();
        resolve(this.closedAt);
        this.notify();
      });
    });
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  /** Opens a TCP connection (optionally from another loopback address, e.g. 127.0.0.2). */
  static open(port: number, localAddress?: string): Promise<RtmpTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RtmpTestClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closedAt !== null;
  }

  /** C0 + C1, waits for S0 S1 S2, sends C2. */
  async handshake(ms = 5000): Promise<void> {
    this.socket.write(Buffer.concat([Buffer.from([3]), randomBytes(1536)]));
    await this.until(() => this.handshaken, ms, 'handshake');
    this.socket.write(randomBytes(1536));
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed || this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  send(m: Omit<OutMessage, 'csid'> & { csid?: number }): Promise<void> {
    return this.write(this.encoder.encode({ csid: 3, ...m }));
  }

  command(name: string, txn: number, streamId: number, ...args: AmfValue[]): Promise<void> {
    return this.send({ type: MSG.commandAmf0, streamId, timestamp: 0, payload: encodeAmf0(name, txn, ...args) });
  }

  /** connect, createStream, publish(key): resolves with the publish onStatus. */
  async publish(app: string, key: string): Promise<AmfValue[]> {
    await this.command('connect', 1, 0, { app, type: 'nonprivate', tcUrl: `rtmp://127.0.0.1/${app}` });
    await this.waitCommand((v) => v[0] === '_result' && v[1] === 1);
    await this.command('releaseStream', 2, 0, null, key);
    await this.command('FCPublish', 3, 0, null, key);
    await this.command('createStream', 4, 0, null);
    await this.waitCommand((v) => v[0] === '_result' && v[1] === 4);
    await this.command('publish', 5, 1, null, key, app);
    return this.waitCommand((v) => v[0] === 'onStatus');
  }

  /** AMF0 commands from the server so far. */
  commands(): AmfValue[][] {
    return this.messages.filter((m) => m.type === MSG.commandAmf0).map((m) => decodeAmf0(m.payload));
  }

  async waitCommand(match: (values: AmfValue[]) => boolean, ms = 5000): Promise<AmfValue[]> {
    let found: AmfValue[] | undefined;
    await this.until(() => (found = this.commands().find(match)) !== undefined, ms, 'command');
    return found as AmfValue[];
  }

  /** Resolves true if the server closed within `ms`, false otherwise. */
  async closedWithin(ms: number): Promise<boolean> {
    if (this.isClosed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  close() {
    this.socket.destroy();
  }

  private onData(d: Buffer) {
    if (!this.handshaken) {
      this.handshakeBuf = Buffer.concat([this.handshakeBuf, d]);
      if (this.handshakeBuf.length < 1 + 2 * 1536) return;
      d = this.handshakeBuf.subarray(1 + 2 * 1536);
      this.handshaken = true;
    }
    try {
      this.messages.push(...this.decoder.push(d));
    } catch {
      this.socket.destroy();
    }
    this.notify();
  }

  private notify() {
    for (const w of [...this.waiters]) w();
  }

  private until(done: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) {
          finish();
          resolve();
        } else if (this.isClosed) {
          finish();
          reject(new Error(`connection closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}
