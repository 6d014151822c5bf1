import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { LIMITS, LIVE_INGEST_NAMESPACE } from '@watch-party/contracts';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config';
import type { RedisService } from './redis.service';

/** Socket.IO with the contract's limits, CORS from config, and the Redis adapter when configured. */
export class AppIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      // The largest packet of any namespace (browser ingest chunks); the others are held to
      // their own, smaller limit packet by packet below.
      maxHttpBufferSize: LIMITS.ingestMaxBytes,
      transports: ['websocket', 'polling'],
      cors: this.config.corsOrigins.length > 0 ? { origin: this.config.corsOrigins } : undefined,
    }) as Server;
    limitPacketSizes(server);
    if (this.redis.enabled) {
      server.adapter(createAdapter(this.redis.connect('io-pub'), this.redis.connect('io-sub')));
    }
    return server;
  }
}

interface EnginePacket {
  type: string;
  data?: unknown;
}
interface EngineConnection {
  on(event: 'packet', fn: (packet: EnginePacket) => void): void;
}

/** Packet size limit per namespace (CONTRACT section 6): 1 MiB on /live-ingest, 64 KiB elsewhere. */
function packetLimit(nsp: string): number {
  return nsp === LIVE_INGEST_NAMESPACE ? LIMITS.ingestMaxBytes : LIMITS.socketMaxBytes;
}

/** Socket.IO header: type digit, optional `<attachments>-`, optional `/<namespace>,`. */
const HEADER = /^\d(?:(\d+)-)?(\/[^,]{0,100},)?/;

/**
 * Checks every Engine.IO message before Socket.IO decodes it: one over its namespace's limit
 * is turned into an engine "error" packet, which closes the connection without delivering it.
 * Binary attachments count against the namespace of the event they belong to.
 */
export function limitPacketSizes(server: Server) {
  server.engine.on('connection', (conn: EngineConnection) => {
    let attachmentsLeft = 0;
    let attachmentsNsp = '/';
    conn.on('packet', (packet) => {
      if (packet.type !== 'message') return;
      const data = packet.data;
      let nsp: string;
      let size: number;
      if (typeof data === 'string') {
        const m = HEADER.exec(data);
        nsp = m?.[2] ? m[2].slice(0, -1) : '/';
        if (m?.[1]) {
          attachmentsLeft = Number(m[1]);
          attachmentsNsp = nsp;
        }
        size = data.length * 3 > LIMITS.socketMaxBytes ? Buffer.byteLength(data) : data.length;
      } else {
        nsp = attachmentsLeft > 0 ? attachmentsNsp : '/';
        attachmentsLeft = Math.max(0, attachmentsLeft - 1);
        size = Buffer.isBuffer(data) ? data.length : data instanceof ArrayBuffer ? data.byteLength : 0;
      }
      if (size > packetLimit(nsp)) packet.type = 'error';
    });
  });
}
