import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { RefusalReason } from '../ops/refusals';
import { AmfError, type AmfValue, decodeAmf0, encodeAmf0 } from './amf0';
import { type ByteBudget, type ChunkDecoderLimits, RtmpChunkDecoder, RtmpDecodeError } from './rtmp-chunk-decoder';

/**
 * One RTMP publisher connection: handshake, the chunk stream (see RtmpChunkDecoder), the
 * connect / createStream / publish / FCUnpublish / deleteStream commands, and audio, video and
 * metadata re-muxed as an FLV byte stream into the sink the publish handler returns.
 */

const HANDSHAKE_SIZE = 1536;
const OUT_CHUNK_SIZE = 4096;
const WINDOW_ACK_SIZE = 5_000_000;
/** After we end a connection, how long the client has to close its side before we reset it. */
const CLOSE_GRACE_MS = 1000;
const FLV_HEADER = Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);

const MSG = {
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
  /** Cut this publisher with an onStatus error (e.g. the show ended, or over the bitrate cap). */
  kick(reason: string): void;
  /** Bytes of the connection so far. */
  readonly bytesReceived: number;
}

/** Accept with a sink, or refuse with a reason sent to the client. */
export type RtmpPublishHandler = (req: RtmpPublishRequest) => Promise<RtmpSink | { refused: string }>;

export type RtmpRefusalHandler = (reason: RefusalReason, remoteAddress: string, detail: string) => void;

export interface RtmpConnectionOptions {
  decoder: ChunkDecoderLimits;
  /** unfinished message bytes of all connections of the replica */
  pool: ByteBudget;
  publishTimeoutMs: number;
  onPublish: RtmpPublishHandler;
  onRefusal: RtmpRefusalHandler;
  /** The connection started publishing (it no longer counts as waiting). */
  onPublishing(): void;
  onClose(): void;
}

export class RtmpConnection {
  private phase: 'c0c1' | 'c2' | 'chunks' | 'closing' | 'closed' = 'c0c1';
  private readonly handshake = Buffer.alloc(1 + HANDSHAKE_SIZE);
  private handshakeLength = 0;
  private readonly decoder: RtmpChunkDecoder;
  private ackWindow = 0;
  private lastAck = 0;
  private received = 0;
  private app: string | null = null;
  private publishStreamId = 0;
  private sink: RtmpSink | null = null;
  private publishing: 'no' | 'pending' | 'yes' | 'done' = 'no';
  private flvHeaderSent = false;
  private outChunkSize = 128;
  private drainWait = false;
  private readYield = false;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    readonly remoteAddress: string,
    private readonly opts: RtmpConnectionOptions,
  ) {
    this.decoder = new RtmpChunkDecoder(opts.decoder, opts.pool);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    socket.once('close', () => this.onClose());
    this.timer = setTimeout(() => {
      if (this.publishing === 'yes' || this.phase === 'closing') return;
      this.refuse('rtmp_publish_timeout', `no publish within ${opts.publishTimeoutMs} ms of connecting`);
    }, opts.publishTimeoutMs);
  }

  destroy() {
    this.socket.destroy();
  }

  private onClose() {
    this.phase = 'closed';
    clearTimeout(this.timer);
    this.decoder.release();
    this.closeSink();
    this.opts.onClose();
  }

  private closeSink() {
    const sink = this.sink;
    this.sink = null;
    sink?.close();
  }

  private onData(data: Buffer) {
    if (this.phase === 'closed') return;
    if (this.phase === 'closing') {
      // Read and drop what the client still sends, so that it sees our close soon.
      this.throttle();
      return;
    }
    this.received += data.length;
    try {
      const rest = this.phase === 'chunks' ? data : this.onHandshake(data);
      if (rest.length > 0) for (const m of this.decoder.push(rest)) this.onMessage(m.type, m.streamId, m.timestamp, m.payload);
    } catch (err) {
      if (err instanceof RtmpDecodeError) this.refuse(err.reason, err.message);
      else this.refuse('rtmp_protocol', err instanceof AmfError ? err.message : `bad message (${(err as Error).message})`);
      return;
    }
    if (this.ackWindow > 0 && this.received - this.lastAck >= this.ackWindow) {
      this.lastAck = this.received;
      this.send(2, MSG.ack, 0, Buffer.from(u32(this.received % 0x100000000)));
    }
    this.throttle();
  }

  /**
   * A client that does not read our replies must not make us buffer them: stop reading until
   * they drain. Until it publishes, a connection has only a few small commands to send: it gets
   * one read per event-loop turn, so a flood on many connections cannot starve everyone else.
   */
  private throttle() {
    if (this.drainWait || this.readYield) return;
    if (this.socket.writableNeedDrain) {
      this.drainWait = true;
      this.socket.pause();
      this.socket.once('drain', () => {
        this.drainWait = false;
        this.resume();
      });
    } else if (this.publishing !== 'yes' || this.phase === 'closing') {
      this.readYield = true;
      this.socket.pause();
      setImmediate(() => {
        this.readYield = false;
        this.resume();
      });
    }
  }

  private resume() {
    if (this.phase === 'closed' || this.drainWait || this.readYield) return;
    this.socket.resume();
  }

  /** Consumes handshake bytes (C0 C1, then C2); returns what follows them. */
  private onHandshake(data: Buffer): Buffer {
    let off = 0;
    if (this.phase === 'c0c1') {
      off = data.copy(this.handshake, this.handshakeLength, 0);
      this.handshakeLength += off;
      if (this.handshakeLength < 1 + HANDSHAKE_SIZE) return data.subarray(off);
      if (this.handshake[0] !== 3) throw new RtmpDecodeError('rtmp_protocol', `unsupported RTMP version ${this.handshake[0]}`);
      const s1 = randomBytes(HANDSHAKE_SIZE);
      s1.writeUInt32BE(0, 0); // time
      s1.writeUInt32BE(0, 4); // zero: the plain (non-digest) handshake
      this.socket.write(Buffer.concat([Buffer.from([3]), s1, this.handshake.subarray(1)]));
      this.phase = 'c2';
      this.handshakeLength = 0;
    }
    const take = Math.min(HANDSHAKE_SIZE - this.handshakeLength, data.length - off);
    this.handshakeLength += take;
    off += take;
    if (this.handshakeLength === HANDSHAKE_SIZE) this.phase = 'chunks';
    return data.subarray(off);
  }

  private onMessage(type: number, streamId: number, timestamp: number, payload: Buffer) {
    switch (type) {
      case MSG.windowAckSize:
        if (payload.length >= 4) this.ackWindow = payload.readUInt32BE(0);
        return;
      case MSG.audio:
      case MSG.video:
        if (this.publishing === 'yes' && payload.length > 0) this.forward(type, timestamp, payload);
        return;
      case MSG.dataAmf0:
      case MSG.dataAmf3:
        if (this.publishing === 'yes') this.onMetadata(type === MSG.dataAmf3 ? payload.subarray(1) : payload, timestamp);
        return;
      case MSG.commandAmf0:
      case MSG.commandAmf3:
        this.onCommand(decodeAmf0(type === MSG.commandAmf3 ? payload.subarray(1) : payload), streamId);
        return;
      default:
        return; // chunk size and abort (done by the decoder), acks, user control, peer bandwidth
    }
  }

  private onMetadata(payload: Buffer, timestamp: number) {
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
        this.send(2, MSG.windowAckSize, 0, Buffer.from(u32(WINDOW_ACK_SIZE)));
        this.send(2, MSG.setPeerBandwidth, 0, Buffer.from([...u32(WINDOW_ACK_SIZE), 2]));
        this.send(2, 1, 0, Buffer.from(u32(OUT_CHUNK_SIZE))); // Set Chunk Size
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
        this.unpublish();
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
      result = await this.opts.onPublish({
        app: this.app ?? '',
        streamName,
        remoteAddress: this.remoteAddress,
        kick: (reason) => this.kick(reason),
        get bytesReceived() {
          return conn.received;
        },
      });
    } catch (err) {
      result = { refused: `internal error: ${(err as Error).message}` };
    }
    if (this.phase === 'closing' || this.phase === 'closed' || this.publishing !== 'pending') {
      // Gone, cut or unpublished while the handler ran.
      if (!('refused' in result)) result.close();
      return;
    }
    if ('refused' in result) {
      this.publishing = 'done';
      this.status('error', 'NetStream.Publish.BadName', result.refused);
      this.closeSoon();
      return;
    }
    this.publishing = 'yes';
    this.sink = result;
    clearTimeout(this.timer);
    this.opts.onPublishing();
    this.send(2, MSG.userControl, 0, Buffer.from([0, 0, ...u32(streamId)])); // StreamBegin
    this.status('status', 'NetStream.Publish.Start', `${streamName.slice(0, 4)}… is now published.`);
  }

  /**
   * FCUnpublish / deleteStream / closeStream: publishing ends cleanly. The client closes the
   * connection (it may still be writing the next command); if it never does, the timer does.
   */
  private unpublish() {
    if (this.publishing !== 'yes' && this.publishing !== 'pending') return;
    const was = this.publishing;
    this.publishing = 'done';
    this.closeSink();
    if (was === 'yes') this.status('status', 'NetStream.Unpublish.Success', 'Stream is now unpublished.');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.closeSoon(), this.opts.publishTimeoutMs);
  }

  private kick(reason: string) {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.status('error', 'NetStream.Publish.Stopped', reason);
    this.closeSink();
    this.closeSoon();
  }

  /** An abuse limit: counted and logged once, the client told why, the connection closed. */
  private refuse(reason: RefusalReason, detail: string) {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.opts.onRefusal(reason, this.remoteAddress, detail);
    if (this.phase === 'chunks') this.command(3, 0, 'onStatus', 0, null, { level: 'error', code: 'NetConnection.Connect.Rejected', description: detail });
    this.closeSink();
    this.closeSoon();
  }

  /** Stops reading, flushes what we sent, closes; resets the connection if the client lingers. */
  private closeSoon() {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.phase = 'closing';
    clearTimeout(this.timer);
    this.socket.end();
    this.timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  private forward(type: number, timestamp: number, payload: Buffer) {
    const sink = this.sink;
    if (!sink) return;
    if (!this.flvHeaderSent) {
      this.flvHeaderSent = true;
      sink.write(FLV_HEADER);
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

  private status(level: string, code: string, description: string) {
    this.command(5, this.publishStreamId || 1, 'onStatus', 0, null, { level, code, description });
  }

  private command(csid: number, streamId: number, name: string, txn: number, ...args: AmfValue[]) {
    this.send(csid, MSG.commandAmf0, streamId, encodeAmf0(name, txn, ...args));
  }

  private send(csid: number, type: number, streamId: number, payload: Buffer) {
    if (this.phase === 'closed' || this.socket.writableEnded || this.socket.destroyed) return;
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
