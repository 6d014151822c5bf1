import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { type AmfValue, decodeAmf0, encodeAmf0 } from './amf0';

/**
 * A minimal RTMP server for publishers (OBS, ffmpeg): handshake, chunk stream, the
 * connect / createStream / publish commands, and audio, video and metadata messages
 * re-muxed as an FLV byte stream. Playback over RTMP is not offered.
 */

const HANDSHAKE_SIZE = 1536;
const OUT_CHUNK_SIZE = 4096;
/** Largest message accepted (a 4K keyframe fits). */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const MAX_CHUNK_SIZE = 1 << 24;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** connect + publish must happen this soon after the TCP connection opens. */
const PUBLISH_TIMEOUT_MS = 15_000;
const WINDOW_ACK_SIZE = 5_000_000;

const MSG = {
  setChunkSize: 1,
  abort: 2,
  ack: 3,
  userControl: 4,
  windowAckSize: 5,
  setPeerBandwidth: 6,
  audio: 8,
  video: 9,
  dataAmf3: 15,
  commandAmf3: 17,
  dataAmf0: 18,
  commandAmf0: 20,
} as const;

/** Where an accepted publisher's FLV stream goes. */
export interface RtmpSink {
  /** FLV bytes (header first, then tags). */
  write(flv: Buffer): void;
  /** The publisher went away (unpublish, disconnect or error). Called once. */
  close(): void;
}

export interface RtmpPublishRequest {
  app: string;
  streamName: string;
  remoteAddress: string;
  /** Cut this publisher (e.g. the show ended). */
  kick(reason: string): void;
  /** Bytes of the connection so far (for bitrate limits). */
  readonly bytesReceived: number;
}

/** Accept with a sink, or refuse with a reason sent to the client. */
export type RtmpPublishHandler = (req: RtmpPublishRequest) => Promise<RtmpSink | { refused: string }>;

export class RtmpServer {
  private readonly logger = new Logger('Rtmp');
  private server: Server | null = null;
  private readonly connections = new Set<RtmpConnection>();

  constructor(private readonly onPublish: RtmpPublishHandler) {}

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        const conn = new RtmpConnection(socket, this.onPublish, this.logger);
        this.connections.add(conn);
        socket.once('close', () => this.connections.delete(conn));
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error(`RTMP server: ${err.message}`));
        this.server = server;
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

interface ChunkStream {
  fmt: number;
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  extended: boolean;
  parts: Buffer[];
  received: number;
}

class RtmpConnection {
  private buf: Buffer = Buffer.alloc(0);
  private phase: 'c0c1' | 'c2' | 'chunks' | 'closed' = 'c0c1';
  private inChunkSize = 128;
  private readonly streams = new Map<number, ChunkStream>();
  private ackWindow = 0;
  private lastAck = 0;
  private received = 0;
  private app: string | null = null;
  private publishStreamId = 0;
  private sink: RtmpSink | null = null;
  private publishing: 'no' | 'pending' | 'yes' | 'refused' = 'no';
  private flvHeaderSent = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly onPublish: RtmpPublishHandler,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose());
    this.timer = setTimeout(() => {
      if (this.publishing !== 'yes') this.destroy();
    }, HANDSHAKE_TIMEOUT_MS + PUBLISH_TIMEOUT_MS);
  }

  destroy() {
    this.socket.destroy();
  }

  private onClose() {
    this.phase = 'closed';
    clearTimeout(this.timer);
    const sink = this.sink;
    this.sink = null;
    sink?.close();
  }

  private onData(data: Buffer) {
    if (this.phase === 'closed') return;
    this.received += data.length;
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    try {
      this.process();
    } catch (err) {
      this.logger.warn(`RTMP ${this.socket.remoteAddress}: ${(err as Error).message}`);
      this.destroy();
      return;
    }
    if (this.ackWindow > 0 && this.received - this.lastAck >= this.ackWindow) {
      this.lastAck = this.received;
      const b = Buffer.alloc(4);
      b.writeUInt32BE(this.received % 0x100000000);
      this.send(2, MSG.ack, 0, b);
    }
  }

  private process() {
    for (;;) {
      if (this.phase === 'c0c1') {
        if (this.buf.length < 1 + HANDSHAKE_SIZE) return;
        if (this.buf[0] !== 3) throw new Error(`unsupported RTMP version ${this.buf[0]}`);
        const c1 = this.buf.subarray(1, 1 + HANDSHAKE_SIZE);
        const s1 = randomBytes(HANDSHAKE_SIZE);
        s1.writeUInt32BE(0, 0); // time
        s1.writeUInt32BE(0, 4); // zero: the plain (non-digest) handshake
        this.socket.write(Buffer.concat([Buffer.from([3]), s1, c1]));
        this.buf = this.buf.subarray(1 + HANDSHAKE_SIZE);
        this.phase = 'c2';
      } else if (this.phase === 'c2') {
        if (this.buf.length < HANDSHAKE_SIZE) return;
        this.buf = this.buf.subarray(HANDSHAKE_SIZE);
        this.phase = 'chunks';
      } else if (this.phase === 'chunks') {
        if (!this.readChunk()) return;
      } else {
        return;
      }
    }
  }

  /** Reads one whole chunk if buffered; false when more bytes are needed. */
  private readChunk(): boolean {
    const b = this.buf;
    if (b.length < 1) return false;
    const fmt = b[0] >> 6;
    let csid = b[0] & 0x3f;
    let pos = 1;
    if (csid === 0) {
      if (b.length < 2) return false;
      csid = b[1] + 64;
      pos = 2;
    } else if (csid === 1) {
      if (b.length < 3) return false;
      csid = b[2] * 256 + b[1] + 64;
      pos = 3;
    }
    const headerSize = [11, 7, 3, 0][fmt];
    if (b.length < pos + headerSize) return false;
    let cs = this.streams.get(csid);
    if (!cs) {
      if (fmt !== 0 && this.streams.size > 64) throw new Error('too many chunk streams');
      cs = { fmt: 0, timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, parts: [], received: 0 };
    }
    let ts = 0;
    let length = cs.length;
    let type = cs.type;
    let streamId = cs.streamId;
    if (fmt <= 2) ts = b.readUIntBE(pos, 3);
    if (fmt <= 1) {
      length = b.readUIntBE(pos + 3, 3);
      type = b[pos + 6];
    }
    if (fmt === 0) streamId = b.readUInt32LE(pos + 7);
    pos += headerSize;
    const extended = fmt <= 2 ? ts === 0xffffff : cs.extended;
    if (extended) {
      if (b.length < pos + 4) return false;
      if (fmt <= 2) ts = b.readUInt32BE(pos);
      pos += 4;
    }
    if (length > MAX_MESSAGE_BYTES) throw new Error(`message of ${length} bytes is too large`);
    const startsMessage = cs.received === 0;
    const take = Math.min(this.inChunkSize, length - (startsMessage ? 0 : cs.received));
    if (b.length < pos + take) return false;

    // Commit the header.
    this.streams.set(csid, cs);
    cs.fmt = fmt;
    cs.extended = extended;
    if (startsMessage) {
      cs.length = length;
      cs.type = type;
      cs.streamId = streamId;
      if (fmt === 0) {
        cs.timestamp = ts;
        cs.delta = 0;
      } else if (fmt === 1 || fmt === 2) {
        cs.delta = ts;
        cs.timestamp += ts;
      } else {
        cs.timestamp += cs.delta;
      }
      cs.timestamp %= 0x100000000;
    }
    cs.parts.push(b.subarray(pos, pos + take));
    cs.received += take;
    this.buf = b.subarray(pos + take);
    if (cs.received >= cs.length) {
      const payload = cs.parts.length === 1 ? cs.parts[0] : Buffer.concat(cs.parts);
      cs.parts = [];
      cs.received = 0;
      this.onMessage(cs.type, cs.streamId, cs.timestamp, Buffer.from(payload));
    }
    return true;
  }

  private onMessage(type: number, streamId: number, timestamp: number, payload: Buffer) {
    switch (type) {
      case MSG.setChunkSize: {
        const size = payload.readUInt32BE(0) & 0x7fffffff;
        if (size < 1 || size > MAX_CHUNK_SIZE) throw new Error(`bad chunk size ${size}`);
        this.inChunkSize = size;
        return;
      }
      case MSG.abort:
        this.streams.delete(payload.readUInt32BE(0));
        return;
      case MSG.windowAckSize:
        this.ackWindow = payload.readUInt32BE(0);
        return;
      case MSG.audio:
      case MSG.video:
        if (this.publishing === 'yes' && payload.length > 0) this.forward(type, timestamp, payload);
        return;
      case MSG.dataAmf0:
      case MSG.dataAmf3:
        if (this.publishing === 'yes') this.onData0(type === MSG.dataAmf3 ? payload.subarray(1) : payload, timestamp);
        return;
      case MSG.commandAmf0:
      case MSG.commandAmf3:
        this.onCommand(decodeAmf0(type === MSG.commandAmf3 ? payload.subarray(1) : payload), streamId);
        return;
      default:
        return; // acks, user control, peer bandwidth: nothing to do for a publisher
    }
  }

  private onData0(payload: Buffer, timestamp: number) {
    const values = decodeAmf0(payload);
    // "@setDataFrame", "onMetaData", {...} in RTMP; "onMetaData", {...} in FLV.
    const body = values[0] === '@setDataFrame' ? values.slice(1) : values;
    if (body[0] !== 'onMetaData') return;
    this.forward(MSG.dataAmf0, timestamp, encodeAmf0(...body));
  }

  private onCommand(values: AmfValue[], streamId: number) {
    const [name, txn] = values;
    if (typeof name !== 'string') return;
    const txnId = typeof txn === 'number' ? txn : 0;
    switch (name) {
      case 'connect': {
        const cmd = (values[2] ?? {}) as { app?: unknown; objectEncoding?: unknown };
        this.app = typeof cmd.app === 'string' ? cmd.app.replace(/\/+$/, '') : '';
        this.sendWindowAck();
        this.send(2, MSG.setPeerBandwidth, 0, Buffer.from([...u32(WINDOW_ACK_SIZE), 2]));
        this.send(2, MSG.setChunkSize, 0, Buffer.from(u32(OUT_CHUNK_SIZE)));
        this.outChunkSize = OUT_CHUNK_SIZE;
        this.command(3, 0, '_result', txnId, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, {
          level: 'status',
          code: 'NetConnection.Connect.Success',
          description: 'Connection succeeded.',
          objectEncoding: typeof cmd.objectEncoding === 'number' ? cmd.objectEncoding : 0,
        });
        return;
      }
      case 'releaseStream':
      case 'FCPublish':
        this.command(3, 0, '_result', txnId, null, undefined);
        return;
      case 'createStream':
        this.command(3, 0, '_result', txnId, null, 1);
        return;
      case 'publish':
        void this.onPublishCommand(String(values[3] ?? ''), streamId || 1);
        return;
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        if (this.publishing === 'yes') this.socket.end();
        return;
      default:
        return;
    }
  }

  private async onPublishCommand(rawName: string, streamId: number) {
    if (this.publishing !== 'no') return;
    this.publishing = 'pending';
    this.publishStreamId = streamId;
    const streamName = rawName.split('?')[0];
    let result: RtmpSink | { refused: string };
    try {
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const conn = this;
      result = await this.onPublish({
        app: this.app ?? '',
        streamName,
        remoteAddress: this.socket.remoteAddress ?? 'unknown',
        kick: (reason) => this.kick(reason),
        get bytesReceived() {
          return conn.received;
        },
      });
    } catch (err) {
      result = { refused: `internal error: ${(err as Error).message}` };
    }
    if (this.phase === 'closed') {
      if (!('refused' in result)) result.close();
      return;
    }
    if ('refused' in result) {
      this.publishing = 'refused';
      this.status('error', 'NetStream.Publish.BadName', result.refused);
      setTimeout(() => this.socket.end(), 100);
      return;
    }
    this.publishing = 'yes';
    this.sink = result;
    this.send(2, MSG.userControl, 0, Buffer.from([0, 0, ...u32(streamId)])); // StreamBegin
    this.status('status', 'NetStream.Publish.Start', `${streamName.slice(0, 4)}… is now published.`);
  }

  private kick(reason: string) {
    if (this.phase === 'closed') return;
    this.status('error', 'NetStream.Publish.Stopped', reason);
    setTimeout(() => this.destroy(), 100);
  }

  private forward(type: number, timestamp: number, payload: Buffer) {
    const sink = this.sink;
    if (!sink) return;
    if (!this.flvHeaderSent) {
      this.flvHeaderSent = true;
      sink.write(Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]));
    }
    const head = Buffer.alloc(11);
    head[0] = type;
    head.writeUIntBE(payload.length, 1, 3);
    head.writeUIntBE(timestamp & 0xffffff, 4, 3);
    head[7] = (timestamp >>> 24) & 0xff;
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(11 + payload.length);
    sink.write(Buffer.concat([head, payload, tail]));
  }

  // ---- sending ----

  private outChunkSize = 128;

  private sendWindowAck() {
    this.send(2, MSG.windowAckSize, 0, Buffer.from(u32(WINDOW_ACK_SIZE)));
  }

  private status(level: string, code: string, description: string) {
    this.command(5, this.publishStreamId || 1, 'onStatus', 0, null, { level, code, description });
  }

  private command(csid: number, streamId: number, name: string, txn: number, ...args: AmfValue[]) {
    this.send(csid, MSG.commandAmf0, streamId, encodeAmf0(name, txn, ...args));
  }

  private send(csid: number, type: number, streamId: number, payload: Buffer) {
    if (this.phase === 'closed') return;
    const parts: Buffer[] = [];
    const head = Buffer.alloc(12);
    head[0] = csid & 0x3f;
    head.writeUIntBE(0, 1, 3);
    head.writeUIntBE(payload.length, 4, 3);
    head[7] = type;
    head.writeUInt32LE(streamId, 8);
    parts.push(head);
    for (let off = 0; off < payload.length; off += this.outChunkSize) {
      if (off > 0) parts.push(Buffer.from([0xc0 | (csid & 0x3f)]));
      parts.push(payload.subarray(off, off + this.outChunkSize));
    }
    this.socket.write(Buffer.concat(parts));
  }
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
