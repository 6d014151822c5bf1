/**
 * The RTMP chunk stream, decoded: bytes in, whole messages out. No sockets, no timers.
 *
 * Memory is bounded whatever the peer sends: bytes are consumed as they arrive (only a partial
 * chunk header, at most 18 bytes, is ever kept), and each message is assembled in one buffer
 * allocated at its declared length when its first chunk arrives, counted against a
 * per-connection budget of unfinished message data.
 */

/** Chunk sizes a peer may set (Set Chunk Size); the protocol starts at the minimum. */
export const MIN_CHUNK_SIZE = 128;
export const MAX_CHUNK_SIZE = 65_536;
/** Basic header (3) + message header (11) + extended timestamp (4). */
export const MAX_CHUNK_HEADER_BYTES = 18;

export const MSG_SET_CHUNK_SIZE = 1;
export const MSG_ABORT = 2;

export interface RtmpMessage {
  type: number;
  streamId: number;
  timestamp: number;
  payload: Buffer;
}

export interface ChunkDecoderLimits {
  /** chunk streams one connection may use (every header format counts) */
  maxChunkStreams: number;
  /** one message at most this large */
  maxMessageBytes: number;
  /** declared bytes of messages in progress, across all chunk streams */
  maxUnfinishedBytes: number;
}

/**
 * Unfinished message bytes of every connection of a replica together: what many connections
 * (from many addresses) may hold at once, each within its own budget.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** Why the decoder gave up; the labels are those of `wp_refusals_total`. */
export type RtmpDecodeReason = 'rtmp_chunk_size' | 'rtmp_chunk_streams' | 'rtmp_message_size' | 'rtmp_unfinished_bytes' | 'rtmp_protocol';

export class RtmpDecodeError extends Error {
  constructor(
    readonly reason: RtmpDecodeReason,
    message: string,
  ) {
    super(message);
  }
}

interface ChunkStream {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  extended: boolean;
  /** the message being assembled, allocated at `length`; null between messages */
  message: Buffer | null;
  received: number;
}

const MESSAGE_HEADER_BYTES = [11, 7, 3, 0];

export class RtmpChunkDecoder {
  private chunkSize = MIN_CHUNK_SIZE;
  private readonly streams = new Map<number, ChunkStream>();
  private readonly header = Buffer.alloc(MAX_CHUNK_HEADER_BYTES);
  private headerLength = 0;
  /** The chunk whose payload is being copied, and how many of its bytes are still to come. */
  private current: ChunkStream | null = null;
  private currentLeft = 0;
  private unfinished = 0;
  private failed: RtmpDecodeError | null = null;

  constructor(
    private readonly limits: ChunkDecoderLimits,
    /** shared by all connections of the replica, when given */
    private readonly pool: ByteBudget | null = null,
  ) {}

  /** Declared bytes of the messages in progress (allocated). */
  get unfinishedBytes(): number {
    return this.unfinished;
  }

  /** Raw bytes kept between calls (a partial chunk header). */
  get bufferedBytes(): number {
    return this.headerLength;
  }

  get chunkStreams(): number {
    return this.streams.size;
  }

  get inChunkSize(): number {
    return this.chunkSize;
  }

  /** Consumes `data`; returns the messages it completed. Throws RtmpDecodeError, then again on every call. */
  push(data: Buffer): RtmpMessage[] {
    if (this.failed) throw this.failed;
    try {
      return this.consume(data);
    } catch (err) {
      this.failed = err instanceof RtmpDecodeError ? err : new RtmpDecodeError('rtmp_protocol', String(err));
      this.release();
      throw err;
    }
  }

  private consume(data: Buffer): RtmpMessage[] {
    const out: RtmpMessage[] = [];
    let off = 0;
    while (off < data.length) {
      const cs = this.current;
      if (cs?.message) {
        const n = Math.min(this.currentLeft, data.length - off);
        data.copy(cs.message, cs.received, off, off + n);
        cs.received += n;
        this.currentLeft -= n;
        off += n;
        if (this.currentLeft === 0) this.endChunk(cs, out);
        continue;
      }
      // Header: copy just the bytes it needs, then parse it.
      let need = this.headerNeeds();
      while (this.headerLength < need && off < data.length) {
        const n = Math.min(need - this.headerLength, data.length - off);
        data.copy(this.header, this.headerLength, off, off + n);
        this.headerLength += n;
        off += n;
        need = this.headerNeeds();
      }
      if (this.headerLength < need) break;
      this.startChunk(out);
    }
    return out;
  }

  /** Total header length, as far as the bytes so far tell. */
  private headerNeeds(): number {
    const h = this.header;
    if (this.headerLength < 1) return 1;
    const fmt = h[0] >> 6;
    const low = h[0] & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    if (this.headerLength < basic) return basic;
    const fixed = basic + MESSAGE_HEADER_BYTES[fmt];
    if (this.headerLength < fixed) return fixed;
    let extended: boolean;
    if (fmt <= 2) extended = h.readUIntBE(basic, 3) === 0xffffff;
    else extended = this.streams.get(this.csid(basic))?.extended ?? false;
    return fixed + (extended ? 4 : 0);
  }

  private csid(basic: number): number {
    const h = this.header;
    if (basic === 2) return h[1] + 64;
    if (basic === 3) return h[2] * 256 + h[1] + 64;
    return h[0] & 0x3f;
  }

  private startChunk(out: RtmpMessage[]) {
    const h = this.header;
    const fmt = h[0] >> 6;
    const low = h[0] & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const csid = this.csid(basic);
    this.headerLength = 0;
    let cs = this.streams.get(csid);
    if (!cs) {
      if (this.streams.size >= this.limits.maxChunkStreams) {
        throw new RtmpDecodeError('rtmp_chunk_streams', `more than ${this.limits.maxChunkStreams} chunk streams`);
      }
      cs = { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, message: null, received: 0 };
      this.streams.set(csid, cs);
    }
    const pos = basic;
    let ts = 0;
    if (fmt <= 2) ts = h.readUIntBE(pos, 3);
    const extended = fmt <= 2 ? ts === 0xffffff : cs.extended;
    if (extended && fmt <= 2) ts = h.readUInt32BE(pos + MESSAGE_HEADER_BYTES[fmt]);
    cs.extended = extended;

    if (!cs.message) {
      // First chunk of a message: its header fields apply.
      if (fmt <= 1) {
        cs.length = h.readUIntBE(pos + 3, 3);
        cs.type = h[pos + 6];
      }
      if (fmt === 0) cs.streamId = h.readUInt32LE(pos + 7);
      if (fmt === 0) {
        cs.timestamp = ts;
        cs.delta = 0;
      } else if (fmt <= 2) {
        cs.delta = ts;
        cs.timestamp = (cs.timestamp + ts) % 0x100000000;
      } else {
        cs.timestamp = (cs.timestamp + cs.delta) % 0x100000000;
      }
      if (cs.length > this.limits.maxMessageBytes) {
        throw new RtmpDecodeError('rtmp_message_size', `message of ${cs.length} bytes (at most ${this.limits.maxMessageBytes})`);
      }
      if (this.unfinished + cs.length > this.limits.maxUnfinishedBytes) {
        throw new RtmpDecodeError(
          'rtmp_unfinished_bytes',
          `more than ${this.limits.maxUnfinishedBytes} bytes of unfinished messages (${this.unfinished} held, ${cs.length} more declared)`,
        );
      }
      if (this.pool && !this.pool.take(cs.length)) {
        throw new RtmpDecodeError(
          'rtmp_unfinished_bytes',
          `the replica holds ${this.pool.inUse} bytes of unfinished RTMP messages (at most ${this.pool.max})`,
        );
      }
      cs.message = Buffer.allocUnsafe(cs.length);
      cs.received = 0;
      this.unfinished += cs.length;
    }
    // A header mid-message (not sent by real encoders) continues the message as declared.
    this.current = cs;
    this.currentLeft = Math.min(this.chunkSize, cs.length - cs.received);
    if (this.currentLeft === 0) this.endChunk(cs, out);
  }

  private endChunk(cs: ChunkStream, out: RtmpMessage[]) {
    this.current = null;
    const message = cs.message;
    if (!message || cs.received < cs.length) return;
    cs.message = null;
    this.unfinished -= cs.length;
    this.pool?.give(cs.length);
    const msg: RtmpMessage = { type: cs.type, streamId: cs.streamId, timestamp: cs.timestamp, payload: message };
    if (msg.type === MSG_SET_CHUNK_SIZE) this.setChunkSize(message);
    else if (msg.type === MSG_ABORT) this.abort(message);
    out.push(msg);
  }

  private setChunkSize(payload: Buffer) {
    if (payload.length < 4) throw new RtmpDecodeError('rtmp_protocol', 'Set Chunk Size without a size');
    const size = payload.readUInt32BE(0) & 0x7fffffff;
    if (size < MIN_CHUNK_SIZE || size > MAX_CHUNK_SIZE) {
      throw new RtmpDecodeError('rtmp_chunk_size', `chunk size ${size} (accepted ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE})`);
    }
    this.chunkSize = size;
  }

  /** Abort Message: drop the message in progress on that chunk stream. */
  private abort(payload: Buffer) {
    if (payload.length < 4) throw new RtmpDecodeError('rtmp_protocol', 'Abort without a chunk stream id');
    const cs = this.streams.get(payload.readUInt32BE(0));
    if (!cs?.message) return;
    this.unfinished -= cs.length;
    this.pool?.give(cs.length);
    cs.message = null;
    cs.received = 0;
  }

  /** Frees everything held (on error, or when the connection closes). */
  release() {
    this.pool?.give(this.unfinished);
    for (const cs of this.streams.values()) cs.message = null;
    this.streams.clear();
    this.current = null;
    this.unfinished = 0;
    this.headerLength = 0;
  }
}
