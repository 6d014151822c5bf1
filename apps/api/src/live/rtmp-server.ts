import { Logger } from '@nestjs/common';
import { type Server, type Socket, createServer } from 'node:net';
import { ByteBudget, type ChunkDecoderLimits } from './rtmp-chunk-decoder';
import { RtmpConnection, type RtmpPublishHandler, type RtmpRefusalHandler } from './rtmp-connection';

export type { RtmpPublishHandler, RtmpPublishRequest, RtmpRefusalHandler, RtmpSink } from './rtmp-connection';

/**
 * A minimal RTMP server for publishers (OBS, ffmpeg, GStreamer); playback over RTMP is not
 * offered. What one client may hold is bounded: connections per replica and per address (until
 * they publish), time to publish, and the chunk stream's memory (RtmpChunkDecoder).
 */

export interface RtmpServerLimits extends ChunkDecoderLimits {
  /** connections open at once on this replica */
  maxConnections: number;
  /** connections of one client address that have not published yet */
  maxConnectionsPerAddress: number;
  /** handshake + connect + publish within this long, else the connection is closed */
  publishTimeoutMs: number;
  /** unfinished message bytes of all connections together */
  maxUnfinishedBytesTotal: number;
}

export interface RtmpServerOptions {
  limits: RtmpServerLimits;
  onPublish: RtmpPublishHandler;
  /** Every refusal of a limit (count it, log it once). */
  onRefusal: RtmpRefusalHandler;
}

export class RtmpServer {
  private readonly logger = new Logger('Rtmp');
  private server: Server | null = null;
  private readonly connections = new Set<RtmpConnection>();
  /** Connections that have not published yet, by client address. */
  private readonly waiting = new Map<string, number>();

  private readonly pool: ByteBudget;

  constructor(private readonly opts: RtmpServerOptions) {
    this.pool = new ByteBudget(opts.limits.maxUnfinishedBytesTotal);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.accept(socket));
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

  private accept(socket: Socket) {
    socket.on('error', () => undefined);
    const address = clientAddress(socket);
    const { limits, onRefusal } = this.opts;
    if (this.connections.size >= limits.maxConnections) {
      onRefusal('rtmp_connections', address, `${this.connections.size} RTMP connections open (RTMP_MAX_CONNECTIONS=${limits.maxConnections})`);
      socket.destroy();
      return;
    }
    const waiting = this.waiting.get(address) ?? 0;
    if (waiting >= limits.maxConnectionsPerAddress) {
      onRefusal(
        'rtmp_connections_per_address',
        address,
        `${waiting} connections not publishing yet (RTMP_MAX_CONNECTIONS_PER_ADDRESS=${limits.maxConnectionsPerAddress})`,
      );
      socket.destroy();
      return;
    }
    this.waiting.set(address, waiting + 1);
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const n = (this.waiting.get(address) ?? 1) - 1;
      if (n > 0) this.waiting.set(address, n);
      else this.waiting.delete(address);
    };
    const conn: RtmpConnection = new RtmpConnection(socket, address, {
      decoder: limits,
      pool: this.pool,
      publishTimeoutMs: limits.publishTimeoutMs,
      onPublish: this.opts.onPublish,
      onRefusal,
      onPublishing: uncount,
      onClose: () => {
        uncount();
        this.connections.delete(conn);
      },
    });
    this.connections.add(conn);
  }
}

/** The peer's address, IPv4-mapped IPv6 written as IPv4. */
function clientAddress(socket: Socket): string {
  const raw = socket.remoteAddress ?? 'unknown';
  return raw.startsWith('::ffff:') ? raw.slice(7) : raw;
}
