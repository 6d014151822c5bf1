import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { LIMITS, LIVE_INGEST_NAMESPACE } from '@watch-party/contracts';
import type { IncomingMessage } from 'node:http';
import { type Namespace, Server, type ServerOptions, type Socket } from 'socket.io';
import { HandshakeRefusal } from '../common/handshake-refusal';
import type { AppConfig } from '../config/app-config';
import type { Refusals } from '../ops/refusals';
import type { RedisService } from './redis.service';

/** Express' compiled `trust proxy` setting: is the hop at `address` (0 = our peer) a trusted proxy? */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Socket.IO with the contract's limits, CORS from config, and the Redis adapter when configured.
 * Sockets are limited per client address (see SocketBudget); the address is found the way
 * Express finds `req.ip`, with the same `trust proxy` function.
 */
export class AppIoAdapter extends IoAdapter {
  private budget: SocketBudget | null = null;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly refusals: Refusals,
    private readonly trustProxy: TrustProxy,
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
      pingInterval: this.config.limits.socketPingIntervalMs,
      pingTimeout: this.config.limits.socketPingTimeoutMs,
      cors: this.config.corsOrigins.length > 0 ? { origin: this.config.corsOrigins } : undefined,
    }) as Server;
    limitPacketSizes(server);
    this.budget = new SocketBudget(this.config.limits.maxSocketsPerAddress, this.refusals, (req) =>
      clientAddress(req, this.trustProxy),
    );
    this.budget.watch(server);
    if (this.redis.enabled) {
      server.adapter(createAdapter(this.redis.connect('io-pub'), this.redis.connect('io-sub')));
    }
    return server;
  }

  /**
   * Nest calls this for each gateway once its `afterInit` has added the gateway's own
   * middleware, so the budget's reservation is the namespace's last middleware: a socket that
   * holds a slot is one about to connect.
   */
  override bindClientConnect(server: Server | Namespace, callback: (...args: unknown[]) => void): void {
    this.budget?.reserveOn(server instanceof Server ? server.of('/') : server);
    super.bindClientConnect(server, callback);
  }
}

/** What a client over its budget sees as its `connect_error` message. */
export const TOO_MANY_CONNECTIONS = 'too many connections';

/**
 * Connections that have not (yet) joined a namespace are bounded too, at this many times the
 * socket limit: enough for every socket of an address to have its own connection, with room
 * for the ones being refused.
 */
const CONNECTIONS_PER_SOCKET_LIMIT = 2;
/** A connection beyond that cap lives this long at most: time to tell its client why. */
const OVER_CAP_GRACE_MS = 1000;

type Middleware = (socket: Socket, next: (err?: Error) => void) => void;
interface EngineSocket {
  request: IncomingMessage;
  readyState: string;
  close(): void;
  once(event: 'close', fn: () => void): void;
  off(event: 'close', fn: () => void): void;
}

/**
 * At most `max` Socket.IO sockets per client address on this replica, across every namespace;
 * several CONNECTs on one connection count one each. Beyond, the client gets `connect_error`
 * "too many connections" and its connection is closed unless another of its sockets uses it.
 *
 * A slot is taken in the namespace's last middleware (so concurrent handshakes cannot
 * overshoot) and given back exactly once: on disconnect, or when the connection closes first.
 * A check in the first middleware refuses before any other middleware does work.
 * Connections per address are capped at CONNECTIONS_PER_SOCKET_LIMIT x max: one beyond is
 * still opened, so that its client learns why from the refusal of its first CONNECT, but it is
 * closed right after that, or after OVER_CAP_GRACE_MS if it sends none.
 */
export class SocketBudget {
  private readonly sockets = new Map<string, number>();
  private readonly connections = new Map<string, number>();
  /** slots held through each connection */
  private readonly held = new WeakMap<EngineSocket, number>();
  private readonly overCap = new WeakSet<EngineSocket>();
  private readonly reserving = new WeakSet<Namespace>();

  constructor(
    private readonly max: number,
    private readonly refusals: Refusals,
    private readonly addressOf: (req: IncomingMessage) => string,
  ) {}

  /** Counts connections per address and installs the check on every namespace. */
  watch(server: Server): void {
    const cap = CONNECTIONS_PER_SOCKET_LIMIT * this.max;
    server.engine.on('connection', (conn: EngineSocket) => {
      const address = this.addressOf(conn.request);
      const count = add(this.connections, address, 1);
      let timer: NodeJS.Timeout | undefined;
      conn.once('close', () => {
        add(this.connections, address, -1);
        clearTimeout(timer);
      });
      if (count > cap) {
        this.overCap.add(conn);
        timer = setTimeout(() => conn.close(), OVER_CAP_GRACE_MS);
      }
    });
    this.checkOn(server.of('/'));
    server.on('new_namespace', (nsp: Namespace) => this.checkOn(nsp));
  }

  /** The namespace's first middleware: refuse early, reserve nothing. */
  private checkOn(nsp: Namespace): void {
    nsp.use((socket, next) => {
      const address = this.addressOf(socket.request);
      if (!this.allowed(socket, address)) return this.refuse(socket, address, next);
      next();
    });
  }

  /** The namespace's last middleware: take a slot or refuse. */
  reserveOn(nsp: Namespace): void {
    if (this.reserving.has(nsp)) return;
    this.reserving.add(nsp);
    const reserve: Middleware = (socket, next) => {
      const conn = engineOf(socket);
      // Closed during the handshake: it will never connect, so it takes nothing.
      if (conn.readyState !== 'open') return next(new HandshakeRefusal('REFUSED', 'connection closed'));
      const address = this.addressOf(socket.request);
      if (!this.allowed(socket, address)) return this.refuse(socket, address, next);
      add(this.sockets, address, 1);
      this.held.set(conn, (this.held.get(conn) ?? 0) + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        conn.off('close', release);
        add(this.sockets, address, -1);
        this.held.set(conn, (this.held.get(conn) ?? 1) - 1);
      };
      conn.once('close', release);
      socket.once('disconnect', release);
      next();
    };
    nsp.use(reserve);
  }

  private allowed(socket: Socket, address: string): boolean {
    return !this.overCap.has(engineOf(socket)) && (this.sockets.get(address) ?? 0) < this.max;
  }

  private refuse(socket: Socket, address: string, next: (err?: Error) => void): void {
    this.refusals.record('sockets_per_address', address, `more than ${this.max} sockets`);
    next(new HandshakeRefusal('TOO_MANY_CONNECTIONS', TOO_MANY_CONNECTIONS));
    // Socket.IO writes the CONNECT_ERROR on the next tick; close after it (the write is flushed
    // before the close) unless one of this client's sockets still uses the connection.
    const conn = engineOf(socket);
    setImmediate(() => {
      if (!this.held.get(conn) && conn.readyState === 'open') conn.close();
    });
  }
}

/** A handshake refusal: Socket.IO sends `data` (`{ code }`) with the message to `connect_error`. */
function engineOf(socket: Socket): EngineSocket {
  return socket.conn as unknown as EngineSocket;
}

function add(counts: Map<string, number>, key: string, delta: number): number {
  const n = (counts.get(key) ?? 0) + delta;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
  return n;
}

/**
 * The client's address as Express computes `req.ip` (proxy-addr): walk from our peer back
 * through X-Forwarded-For while each hop is a trusted proxy; the first untrusted one is the client.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
    .reverse();
  const hops = [req.socket.remoteAddress ?? 'unknown', ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i], i)) return hops[i];
  return hops[hops.length - 1];
}

interface EnginePacket {
  type: string;
  data?: unknown;
}
interface EngineConnection {
  on(event: 'packet', fn: (packet: EnginePacket) => void): void;
}

/** Packet size limit per namespace: 1 MiB on /live-ingest, 64 KiB elsewhere. */
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
